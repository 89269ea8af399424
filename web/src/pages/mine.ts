// /me/invitations: the open invitations addressed to the signed-in person's verified
// email, across teams (GET /me/invitations), each accepted here without the link
// (POST /invitations/{id}/accept with {}), which only that verified account may do.
// Declining needs the emailed link (the API answers a decline only with its token).
// Below them: the teams whose verified domain is the person's address's
// (GET /me/joinable-teams), to join (or ask to) without any invitation, and the
// person's requests to join.

import type { PageContext } from "../main";
import { api, type JoinableTeam, type JoinRequest, type Preview, type Problem } from "../api";
import { requestStatusText } from "./links";
import { session } from "../auth";
import { append, h, liveRegion, replace } from "../dom";
import { roleName, when } from "../format";
import { pagerControls, signInButton, signInPrompt } from "./common";

export async function myInvitationsPage(ctx: PageContext): Promise<void> {
  append(ctx.main, [ctx.heading("My invitations")]);
  const s = session();
  if (!s) {
    append(ctx.main, signInPrompt("Sign in to see the invitations sent to your email address."));
    return;
  }

  const limitParam = Number(ctx.query.get("limit"));
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 100 ? limitParam : 20;
  const cursors: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let rows: Preview[] = [];
  let nextCursor: string | null = null;

  const live = liveRegion();
  const requestsArea = h("div", { class: "table-area" });
  const joinableArea = h("div", { class: "table-area" });
  const joinableHeading = h("h2", { id: "joinable-heading", tabindex: "-1" }, "Teams you can join");
  const listHeading = h("h2", { id: "mine-heading", tabindex: "-1" }, "Waiting for your answer");
  const area = h("div", { class: "table-area" });
  const pager = h("nav", { "aria-label": "Pages of invitations", class: "pager" });
  append(ctx.main, [
    h(
      "p",
      null,
      "The open invitations sent to ",
      h("strong", null, s.email),
      ", in every team. Accept one here, without the email's link; to decline, use the link in the email.",
    ),
    live,
    h("section", { "aria-labelledby": "mine-heading" }, listHeading, area, pager),
    h("section", { "aria-labelledby": "joinable-heading" }, joinableHeading, joinableArea),
    h("section", { "aria-labelledby": "requests-heading" }, h("h2", { id: "requests-heading" }, "Your requests to join"), requestsArea),
  ]);

  async function load(): Promise<void> {
    area.setAttribute("aria-busy", "true");
    const res = await api.myInvitations({ limit, cursor: cursors[pageIndex] });
    area.removeAttribute("aria-busy");
    if (!res.ok) {
      rows = [];
      nextCursor = null;
      replace(pager);
      const p = res.problem;
      // Why the address alone cannot list its invitations here, and what to do instead.
      const refusedAddress = (why: string, next: string) =>
        replace(area, h("div", { class: "notice notice-error" }, h("p", null, why), h("p", null, next)));
      if (p.code === "email_unverified") {
        refusedAddress(
          `Your sign-in provider has not verified ${s!.email}, so the invitations sent to it cannot be shown or accepted here.`,
          "Verify the address with your sign-in provider and sign in again, or open the link in the invitation email.",
        );
      } else if (p.code === "link_required") {
        refusedAddress(
          `You signed in through a provider this service does not rely on to vouch for ${s!.email}, so the invitations sent to it are not shown here.`,
          "Open the link in the invitation email: it lets you accept there.",
        );
      } else if (p.code === "unauthenticated") {
        ctx.refreshHeader();
        replace(
          area,
          h("p", { class: "notice notice-error" }, p.detail, " "),
          signInButton(),
        );
      } else {
        replace(area, h("p", { class: "notice notice-error" }, p.detail));
      }
      return;
    }
    rows = res.data.invitations;
    nextCursor = res.data.nextCursor;
    render();
    renderPager();
  }

  function render(): void {
    if (!rows.length) {
      replace(
        area,
        h(
          "p",
          { class: "empty" },
          pageIndex ? "No more invitations." : `No invitations are waiting for you. Invitations sent to ${s!.email} appear here.`,
        ),
      );
      return;
    }
    replace(
      area,
      h(
        "table",
        { class: "members mine" },
        h("caption", { class: "visually-hidden" }, `Invitations waiting for your answer, page ${pageIndex + 1}`),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Team", "Role", "Invited by", "Expires", "Actions"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", null, rows.map(row)),
      ),
    );
  }

  function row(p: Preview): HTMLTableRowElement {
    return h(
      "tr",
      { "data-invitation": p.id },
      h("th", { scope: "row", class: "email" }, p.teamName),
      h("td", null, roleName(p.role)),
      h("td", null, p.invitedByEmail ?? "—"),
      h("td", null, when(p.expiresAt)),
      h(
        "td",
        null,
        h(
          "button",
          {
            type: "button",
            class: "button small",
            "aria-label": `Accept the invitation to join ${p.teamName} as ${roleName(p.role)}`,
            onclick: (e: Event) => void accept(p, e.currentTarget as HTMLButtonElement),
          },
          "Accept",
        ),
      ),
    );
  }

  async function accept(p: Preview, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    button.textContent = "Accepting…";
    const res = await api.acceptMine(p.id);
    if (res.ok) {
      rows = rows.filter((x) => x.id !== p.id);
      render();
      live.say(`You joined ${p.teamName} as ${roleName(res.data.membership.role)}.`);
      replace(
        joined,
        h("p", null, h("a", { href: `/teams/${encodeURIComponent(p.teamId)}` }, `Go to ${p.teamName}`)),
      );
      listHeading.focus();
      return;
    }
    live.say(refusal(res.problem, p), "error");
    await load();
    listHeading.focus();
  }

  const joined = h("div", { class: "joined" });
  live.after(joined);

  async function loadRequests(): Promise<void> {
    const res = await api.myJoinRequests();
    if (!res.ok || !res.data.requests.length) {
      replace(requestsArea, h("p", { class: "empty" }, res.ok ? "You have not asked to join a team." : res.problem.detail));
      return;
    }
    replace(
      requestsArea,
      h(
        "ul",
        { class: "requests" },
        res.data.requests.map((r) =>
          h(
            "li",
            { "data-team": r.teamId },
            h("strong", null, r.teamName),
            ` as ${roleName(r.role)}: ${requestStatusText(r)}`,
            r.status === "pending"
              ? [
                  " ",
                  h(
                    "button",
                    {
                      type: "button",
                      class: "button secondary small",
                      "aria-label": `Cancel your request to join ${r.teamName}`,
                      onclick: () => void cancel(r),
                    },
                    "Cancel",
                  ),
                ]
              : null,
          ),
        ),
      ),
    );
  }

  async function cancel(r: JoinRequest): Promise<void> {
    const res = await api.cancelJoinRequest(r.teamId);
    live.say(
      res.ok
        ? `Your request to join ${r.teamName} was cancelled.`
        : `Your request to join ${r.teamName} was not cancelled: ${res.problem.detail}`,
      res.ok ? "info" : "error",
    );
    await loadRequests();
  }

  async function loadJoinable(): Promise<void> {
    const res = await api.joinableTeams();
    if (!res.ok) {
      replace(joinableArea, h("p", { class: "notice notice-error" }, res.problem.detail));
      return;
    }
    if (!res.data.addressCounts) {
      replace(
        joinableArea,
        h(
          "p",
          { class: "empty" },
          `Teams that own the domain of ${s!.email} appear here once your sign-in provider has verified the address, and only for a provider this service relies on.`,
        ),
      );
      return;
    }
    if (!res.data.teams.length) {
      replace(joinableArea, h("p", { class: "empty" }, `No team owns the domain of ${s!.email}.`));
      return;
    }
    replace(
      joinableArea,
      h(
        "ul",
        { class: "requests joinable" },
        res.data.teams.map((t) => h("li", { "data-team": t.teamId }, h("strong", null, t.teamName), ` (${t.domain}) as ${roleName(t.role)}: `, joinControl(t))),
      ),
    );
  }

  function joinControl(t: JoinableTeam): Node | string {
    if (t.member) return "you are a member";
    if (t.pendingRequest) return "your request waits for a manager";
    return h(
      "button",
      {
        type: "button",
        class: "button small",
        "aria-label": t.approval ? `Ask to join ${t.teamName} as ${roleName(t.role)}` : `Join ${t.teamName} as ${roleName(t.role)}`,
        onclick: (e: Event) => void joinTeam(t, e.currentTarget as HTMLButtonElement),
      },
      t.approval ? "Ask to join" : "Join",
    );
  }

  async function joinTeam(t: JoinableTeam, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const res = await api.joinByDomain(t.teamId);
    if (res.ok && res.data.membership) {
      live.say(`You joined ${t.teamName} as ${roleName(res.data.membership.role)}.`);
      replace(joined, h("p", null, h("a", { href: `/teams/${encodeURIComponent(t.teamId)}` }, `Go to ${t.teamName}`)));
    } else if (res.ok) {
      live.say(`You asked to join ${t.teamName}; a manager will answer.`);
    } else {
      live.say(domainRefusal(res.problem, t), "error");
    }
    await Promise.all([loadJoinable(), loadRequests()]);
    joinableHeading.focus();
  }

  await Promise.all([load(), loadRequests(), loadJoinable()]);

  function renderPager(): void {
    if (pageIndex === 0 && !nextCursor) {
      replace(pager);
      return;
    }
    replace(pager, ...pagerControls(pageIndex, !!nextCursor, (step) => void turn(step)));
  }

  async function turn(step: 1 | -1): Promise<void> {
    if (step === 1) {
      if (!nextCursor) return;
      cursors[pageIndex + 1] = nextCursor;
      pageIndex += 1;
    } else {
      if (pageIndex === 0) return;
      pageIndex -= 1;
    }
    await load();
    listHeading.focus();
  }
}

/** Why joining by the domain was refused, in words. */
function domainRefusal(p: Problem, t: JoinableTeam): string {
  switch (p.code) {
    case "already_member":
      return `You are already a member of ${t.teamName}.`;
    case "seat_limit":
      return `Every seat of ${t.teamName} is taken by its members, so you cannot join right now.`;
    case "join_request_pending":
      return `You asked to join ${t.teamName} already; a manager has not answered yet.`;
    case "domain_not_allowed":
      return `${t.teamName} no longer lets people of ${t.domain} join this way.`;
    case "team_closed":
      return `${t.teamName} is closed.`;
    default:
      return `You could not join ${t.teamName}: ${p.detail}`;
  }
}

/** Why accepting was refused, in words. */
function refusal(p: Problem, inv: Preview): string {
  switch (p.code) {
    case "already_member":
      return `You are already a member of ${inv.teamName}, so there is nothing to accept.`;
    case "seat_limit":
      return `Every seat of ${inv.teamName} is taken by its members, so you cannot join right now. Ask someone there to free a seat; the invitation stays open.`;
    case "invitation_not_open":
      return `The invitation to ${inv.teamName} can no longer be accepted: it was ${p.invitationStatus ?? "answered"}.`;
    case "invitation_expired":
      return `The invitation to ${inv.teamName} has expired. Ask someone there to invite you again.`;
    case "not_found":
      return `The invitation to ${inv.teamName} was not found for this account.`;
    case "link_required":
      return `The invitation to ${inv.teamName} can only be accepted from the link in its email with this sign-in.`;
    case "email_unverified":
    case "email_mismatch":
      return `The invitation to ${inv.teamName} could not be accepted with this account: its address is not verified as the invited one.`;
    default:
      return `The invitation to ${inv.teamName} could not be accepted: ${p.detail}`;
  }
}
