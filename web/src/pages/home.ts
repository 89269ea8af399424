import type { PageContext } from "../main";
import { navigate } from "../main";
import { config } from "../config";
import { session, signIn } from "../auth";
import { append, h } from "../dom";

export function homePage(ctx: PageContext): void {
  const s = session();
  const team = config().team;
  append(ctx.main, [ctx.heading("Team invitations")]);
  if (!s) {
    append(ctx.main, [
      h("p", null, "Invite people to your team by email, and see who has joined."),
      h("p", null, h("button", { type: "button", class: "button", onclick: () => void signIn("/") }, "Sign in")),
      h(
        "p",
        { class: "hint" },
        "Got an invitation by email? Open the link in it: you can see the invitation, and decline it, without signing in.",
      ),
    ]);
    return;
  }
  const id = h("input", { id: "team-id", name: "team", required: true, autocomplete: "off", value: team?.id ?? "" });
  append(ctx.main, [
    team
      ? h("p", null, h("a", { href: `/teams/${encodeURIComponent(team.id)}` }, `${team.name ?? team.id}: invitations`))
      : null,
    h("p", null, h("a", { href: "/me/invitations" }, "Invitations waiting for you"), " (sent to ", s.email, ")"),
    h(
      "form",
      {
        class: "inline-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (id.value.trim()) navigate(`/teams/${encodeURIComponent(id.value.trim())}`);
        },
      },
      h("label", { for: "team-id" }, "Open a team by its id"),
      id,
      h("button", { type: "submit", class: "button secondary" }, "Open"),
    ),
  ]);
}

export function signedOutPage(ctx: PageContext): void {
  append(ctx.main, [
    ctx.heading("You're signed out"),
    h("p", null, "You signed out of Team invitations on this browser."),
    h("p", null, h("button", { type: "button", class: "button", onclick: () => void signIn("/") }, "Sign in again")),
  ]);
}

export function notFoundPage(ctx: PageContext): void {
  append(ctx.main, [
    ctx.heading("Page not found"),
    h("p", null, "There is no page at this address."),
    h("p", null, h("a", { href: "/" }, "Go to the start page")),
  ]);
}
