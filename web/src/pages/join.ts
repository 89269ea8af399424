// /join/{teamId}/{linkId}#token=: an invite link. Opening one needs a
// sign-in (the API shows a link only to someone signed in); it then shows the
// team, the role, who made the link and until when, and Join. A revoked,
// expired or used-up link says so; a wrong or tampered one reads as "not
// valid", as the API makes it indistinguishable from an unknown link.

import type { PageContext } from "../main";
import { api, type InviteLinkPreview, type Problem } from "../api";
import { session, signIn } from "../auth";
import { append, h, replace } from "../dom";
import { roleName, when } from "../format";

export async function joinPage(ctx: PageContext): Promise<void> {
  const { teamId, linkId } = ctx.params;
  const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
  const main = ctx.main;
  if (!session()) {
    // The sign-in comes back here, the token still in the fragment, on this device.
    const here = location.pathname + (token ? `#token=${encodeURIComponent(token)}` : "");
    append(main, [
      ctx.heading("Join a team"),
      h("p", null, "Sign in to see which team this invite link is for, and to join it."),
      h("p", null, h("button", { type: "button", class: "button", onclick: () => void signIn(here) }, "Sign in")),
    ]);
    return;
  }
  append(main, [h("p", { role: "status" }, "Loading…")]);
  const res = token ? await api.previewLink(teamId, linkId, token) : null;
  if (!res || !res.ok) {
    if (res && !["not_found", "invalid_request"].includes(res.problem.code)) return trouble(res.problem);
    return page(
      "This link is not valid",
      h("p", null, "It may have been copied incompletely. Ask the person who shared it for the link again."),
    );
  }
  const link = res.data;

  function page(title: string, ...body: (Node | string | null)[]): void {
    replace(main, ctx.heading(title), ...body);
    ctx.refreshHeader();
  }

  function details(p: InviteLinkPreview): HTMLElement {
    return h(
      "dl",
      { class: "details" },
      h("dt", null, "Team"),
      h("dd", null, p.teamName),
      h("dt", null, "Role"),
      h("dd", null, roleName(p.role)),
      h("dt", null, "Shared by"),
      h("dd", null, p.createdByEmail),
      h("dt", null, p.state === "expired" ? "Expired" : "Open until"),
      h("dd", null, when(p.expiresAt)),
    );
  }

  function teamLink(): HTMLElement {
    return h("a", { href: `/teams/${encodeURIComponent(teamId)}`, class: "button" }, `Go to ${link.teamName}`);
  }

  function trouble(p: Problem): void {
    page("Something went wrong", h("p", { class: "notice notice-error", role: "alert" }, p.detail));
  }

  function closed(state: InviteLinkPreview["state"]): void {
    const why =
      state === "revoked"
        ? "The team revoked this invite link."
        : state === "usedUp"
          ? "As many people joined through this invite link as it allows."
          : "This invite link has expired.";
    page("This link no longer works", h("p", null, `${why} Ask ${link.createdByEmail} for a new one.`), details(link));
  }

  if (link.alreadyMember) {
    return page(`You are a member of ${link.teamName}`, h("p", null, teamLink()), details(link));
  }
  if (link.state !== "active") return closed(link.state);

  const join = h("button", { type: "button", class: "button" }, link.approval ? `Ask to join ${link.teamName}` : `Join ${link.teamName}`);
  const problem = h("p", { class: "notice notice-error", role: "alert", hidden: true });
  join.addEventListener("click", async () => {
    join.disabled = true;
    const r = await api.joinLink(teamId, linkId, token);
    join.disabled = false;
    if (r.ok && r.data.request) {
      page(
        "Request sent",
        h("p", null, `A manager of ${link.teamName} answers your request; you join as ${roleName(r.data.request.role)} once they approve it. It waits until `, when(r.data.request.expiresAt), "."),
        h("p", null, h("a", { href: "/me/invitations" }, "See your requests")),
      );
      return;
    }
    if (r.ok && r.data.membership) {
      page(
        `You joined ${link.teamName}`,
        h(
          "p",
          null,
          `You are a member of ${link.teamName} as ${roleName(r.data.membership.role)}, with ${r.data.membership.email}.`,
        ),
        h("p", null, teamLink()),
      );
      return;
    }
    if (r.ok) return;
    const p = r.problem;
    if (p.code === "link_not_active" && p.linkState) return closed(p.linkState);
    if (p.code === "already_member") return page(`You are a member of ${link.teamName}`, h("p", null, teamLink()));
    if (p.code === "join_request_pending") {
      return page(
        "You asked already",
        h("p", null, `A manager of ${link.teamName} has not answered your request yet.`),
        h("p", null, h("a", { href: "/me/invitations" }, "See your requests")),
      );
    }
    problem.hidden = false;
    problem.textContent =
      p.code === "domain_not_allowed"
        ? `This link is only for addresses of some email domains, and you are signed in as ${session()?.email ?? "another address"}. Sign in with your work address, or ask ${link.createdByEmail} to invite you.`
        : p.code === "email_unverified"
          ? "Your email address is not verified. Verify it with your sign-in provider, then join."
          : p.code === "seat_limit"
            ? `${link.teamName} has no free seat. Ask ${link.createdByEmail} to free one, then join.`
            : p.detail;
    problem.focus();
  });
  page(
    `Join ${link.teamName}`,
    h(
      "p",
      null,
      `${link.createdByEmail} shared a link to join ${link.teamName}.`,
      link.approval ? " A manager of the team approves each request to join." : "",
    ),
    details(link),
    problem,
    h("p", null, join),
  );
}
