// Requests to accept an invitation as another address (GET /teams/{id}/accept-requests):
// someone holding an invitation's link, signed in with an address other than the
// invited one, asked the team to let that account accept. A manager sees both
// addresses and approves (that account joins, under its own address) or refuses
// (the invitation stays open for the invited address). Shown on the team's
// invitations page to those who may manage; hidden when there is nothing to show.

import { api, type AcceptRequest, type Problem } from "../api";
import { h, replace, type LiveRegion } from "../dom";
import { roleName, when } from "../format";

export interface AcceptRequestsSection {
  section: HTMLElement;
  load(): Promise<void>;
}

export function acceptRequestsSection(
  teamId: string,
  teamName: () => string,
  live: LiveRegion,
  afterApproval: () => Promise<void>,
): AcceptRequestsSection {
  const heading = h("h2", { id: "accept-requests-heading", tabindex: "-1" }, "Requests to accept as another address");
  const area = h("div", { class: "table-area" });
  const section = h(
    "section",
    { "aria-labelledby": "accept-requests-heading", hidden: true },
    heading,
    h("p", null, "Someone holding an invitation's link asked to accept it with another address. Approve only if you know both addresses are the same person's."),
    area,
  );
  let requests: AcceptRequest[] = [];

  async function load(): Promise<void> {
    const res = await api.acceptRequests(teamId);
    // Members who may not manage get 403: nothing to show them.
    requests = res.ok ? res.data.requests.filter((r) => r.status === "pending") : [];
    section.hidden = !requests.length;
    render();
  }

  function render(): void {
    replace(
      area,
      h(
        "table",
        { class: "requests accept-requests" },
        h("caption", { class: "visually-hidden" }, `${teamName()}: requests to accept as another address`),
        h("thead", null, h("tr", null, ["Invited address", "Asking as", "Role", "Asked", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          null,
          requests.map((r) =>
            h(
              "tr",
              { "data-invitation": r.invitationId },
              h("th", { scope: "row" }, r.invitedEmail),
              h("td", null, r.email),
              h("td", null, roleName(r.role)),
              h("td", null, when(r.requestedAt)),
              h(
                "td",
                null,
                h("button", { type: "button", class: "button small", "aria-label": `Approve: let ${r.email} accept the invitation sent to ${r.invitedEmail}`, onclick: () => void answer(r, "approve") }, "Approve"),
                h("button", { type: "button", class: "button danger small", "aria-label": `Refuse ${r.email}'s request`, onclick: () => void answer(r, "refuse") }, "Refuse"),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function answer(r: AcceptRequest, how: "approve" | "refuse"): Promise<void> {
    const res = await api.answerAcceptRequest(teamId, r.invitationId, how);
    if (res.ok) {
      live.say(
        how === "approve"
          ? `${r.email} is now a member of ${teamName()}, accepting the invitation sent to ${r.invitedEmail}.`
          : `${r.email}'s request was refused; the invitation to ${r.invitedEmail} stays open.`,
      );
      if (how === "approve") await afterApproval();
    } else {
      live.say(refusal(res.problem, r), "error");
    }
    await load();
    (section.hidden ? live : heading).focus();
  }

  function refusal(p: Problem, r: AcceptRequest): string {
    switch (p.code) {
      case "accept_request_not_pending":
        return `${r.email}'s request can no longer be answered: it ${p.requestStatus === "expired" ? "expired with its invitation, or the invitation was sent again" : `was ${p.requestStatus ?? "answered"}`}.`;
      case "invitation_not_open":
      case "invitation_expired":
        return `The invitation to ${r.invitedEmail} can no longer be accepted.`;
      case "already_member":
        return `${r.email} is a member already.`;
      case "seat_limit":
        return `${teamName()} has no free seat for ${r.email}. Free one, then approve again.`;
      default:
        return `${r.email}'s request was not answered: ${p.detail}`;
    }
  }

  return { section, load };
}
