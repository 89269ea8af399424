// /teams/{teamId}/links: the team's invite links, for its managers. A form makes
// one (a role the manager may invite into, how many people, for how long,
// optionally only some email domains); its link is shown once, with Copy,
// since the API never shows it again. The list: each link's state in words,
// its uses, who joined through it, and Revoke, or Revoke with the members it
// brought in, each behind a confirmation. Who may see this page the API says
// (403 for anyone but a manager). A link may need approval: then joining
// asks, and the requests are listed here, with Approve and Deny.

import type { PageContext } from "../main";
import { api, type InviteLink, type JoinRequest, type LinkState, type Problem } from "../api";
import { session } from "../auth";
import { config } from "../config";
import { confirmDialog } from "../dialog";
import { append, h, liveRegion, replace, uid } from "../dom";
import { roleName, when } from "../format";
import { signInButton, signInPrompt } from "./common";
import { teamNav } from "./teamnav";

export function linkStateText(state: LinkState): string {
  switch (state) {
    case "active":
      return "Active";
    case "expired":
      return "Expired";
    case "usedUp":
      return "Used up";
    case "revoked":
      return "Revoked";
  }
}

export async function linksPage(ctx: PageContext): Promise<void> {
  const teamId = ctx.params.teamId;
  const configured = config().team;
  const teamName = configured && configured.id === teamId && configured.name ? configured.name : teamId;
  append(ctx.main, [ctx.heading(`${teamName}: invite links`), teamNav(teamId, "links")]);
  if (!session()) {
    append(ctx.main, signInPrompt("Sign in to see this team's invite links."));
    return;
  }

  const rolesAnswer = api.roles(teamId);
  const live = liveRegion();
  const created = h("div", { class: "created-link" });
  const formSection = h("section", { "aria-labelledby": "new-link-heading", hidden: true });
  const listHeading = h("h2", { id: "links-heading", tabindex: "-1" }, "Links");
  const tableArea = h("div", { class: "table-area" });
  const requestsHeading = h("h2", { id: "requests-heading", tabindex: "-1" }, "Requests to join");
  const requestsArea = h("div", { class: "table-area" });
  append(ctx.main, [
    h(
      "p",
      { class: "hint" },
      "Anyone signed in who holds an invite link can join the team with its role, as often as the link allows, until it expires. Share it where you would not type every address: a chat, a meeting.",
    ),
    live,
    formSection,
    created,
    h("section", { "aria-labelledby": "requests-heading" }, requestsHeading, requestsArea),
    h("section", { "aria-labelledby": "links-heading" }, listHeading, tableArea),
  ]);

  // The form.
  const formError = h("p", { class: "notice notice-error", role: "alert", hidden: true });
  const roleId = uid("link-role");
  const role = h("select", { id: roleId, name: "role" });
  const usesId = uid("link-uses");
  const usesError = h("p", { id: `${usesId}-error`, class: "field-error", hidden: true });
  const uses = h("input", {
    id: usesId,
    name: "maxUses",
    type: "number",
    min: "1",
    max: "1000",
    value: "10",
    inputmode: "numeric",
    required: true,
    "aria-describedby": `${usesId}-hint ${usesId}-error`,
  });
  const daysId = uid("link-days");
  const days = h(
    "select",
    { id: daysId, name: "expiresInDays" },
    [1, 3, 7, 14, 30].map((d) => h("option", { value: String(d), selected: d === 7 }, d === 1 ? "1 day" : `${d} days`)),
  );
  const domainsId = uid("link-domains");
  const domainsError = h("p", { id: `${domainsId}-error`, class: "field-error", hidden: true });
  const domains = h("input", {
    id: domainsId,
    name: "domains",
    type: "text",
    autocomplete: "off",
    placeholder: "example.com",
    "aria-describedby": `${domainsId}-hint ${domainsId}-error`,
  });
  const approvalId = uid("link-approval");
  const approval = h("input", { id: approvalId, name: "approval", type: "checkbox", "aria-describedby": `${approvalId}-hint` });
  const submit = h("button", { type: "submit", class: "button" }, "Make link");

  function fieldError(input: HTMLElement, box: HTMLElement, message: string | null): void {
    box.hidden = !message;
    box.textContent = message ?? "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  const form = h(
    "form",
    { novalidate: true, class: "invite-form", onsubmit: (e: Event) => void onCreate(e) },
    formError,
    h("div", { class: "field" }, h("label", { for: roleId }, "Role"), role),
    h(
      "div",
      { class: "field" },
      h("label", { for: usesId }, "How many people"),
      uses,
      h("p", { id: `${usesId}-hint`, class: "hint" }, "At most 1000; the team's seats still apply."),
      usesError,
    ),
    h("div", { class: "field" }, h("label", { for: daysId }, "Open for"), days),
    h(
      "div",
      { class: "field" },
      h("label", { for: domainsId }, "Only these email domains (optional)"),
      domains,
      h("p", { id: `${domainsId}-hint`, class: "hint" }, "Separated by commas or spaces; empty: any address."),
      domainsError,
    ),
    h(
      "div",
      { class: "field checkbox" },
      approval,
      h("label", { for: approvalId }, "A manager approves each join"),
      h("p", { id: `${approvalId}-hint`, class: "hint" }, "Joining then asks; the requests show on this page."),
    ),
    submit,
  );

  const r = await rolesAnswer;
  const grantable = r.ok && Array.isArray(r.data?.roles) ? r.data.roles.filter((x) => x.grantable).map((x) => x.name) : [];
  if (grantable.length) {
    const wanted = grantable.includes("member") ? "member" : grantable[0];
    replace(role, grantable.map((name) => h("option", { value: name, selected: name === wanted }, roleName(name))));
    replace(formSection, h("h2", { id: "new-link-heading" }, "Make an invite link"), form);
    formSection.hidden = false;
  }

  async function onCreate(e: Event): Promise<void> {
    e.preventDefault();
    formError.hidden = true;
    fieldError(uses, usesError, null);
    fieldError(domains, domainsError, null);
    const max = Number(uses.value);
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      fieldError(uses, usesError, "Enter a whole number from 1 to 1000.");
      uses.focus();
      return;
    }
    const wanted = domains.value.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean);
    submit.disabled = true;
    const res = await api.createLink(teamId, {
      role: role.value,
      maxUses: max,
      expiresInDays: Number(days.value),
      domains: wanted.length ? wanted : undefined,
      approval: approval.checked || undefined,
    });
    submit.disabled = false;
    if (!res.ok) {
      createRefusal(res.problem);
      return;
    }
    domains.value = "";
    showCreated(res.data.url, res.data);
    await load();
  }

  function createRefusal(p: Problem): void {
    if (p.code === "validation_failed") {
      const other: string[] = [];
      for (const err of p.errors ?? []) {
        if (err.field === "maxUses") fieldError(uses, usesError, err.message);
        else if (err.field === "domains") fieldError(domains, domainsError, err.message);
        else other.push(err.message);
      }
      if (other.length) {
        formError.hidden = false;
        formError.textContent = other.join("; ");
      }
      (uses.getAttribute("aria-invalid") ? uses : domains.getAttribute("aria-invalid") ? domains : submit).focus();
      return;
    }
    formError.hidden = false;
    formError.textContent =
      p.code === "forbidden" ? "Only the team's managers make invite links." : p.code === "team_closed" ? "This team was closed." : p.detail;
  }

  /** The link, once: the API keeps no copy of it. */
  function showCreated(url: string, link: InviteLink): void {
    const id = uid("new-link");
    const input = h("input", { id, readonly: true, value: url, class: "wide", "data-link": link.id });
    const copy = h("button", { type: "button", class: "button" }, "Copy link");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
        live.say("Invite link copied to the clipboard.");
        copy.textContent = "Copied";
      } catch {
        live.say("Could not copy to the clipboard: select the link and copy it.", "error");
        input.focus();
        input.select();
      }
    });
    replace(
      created,
      h("h2", { id: "created-heading", tabindex: "-1" }, "Your new invite link"),
      h(
        "p",
        null,
        `For ${link.maxUses === 1 ? "one person" : `up to ${link.maxUses} people`} as ${roleName(link.role)}, until `,
        when(link.expiresAt),
        ". Copy it now: it is shown only this once.",
      ),
      h("label", { for: id }, "Invite link"),
      input,
      h("p", null, copy),
    );
    (created.querySelector("h2") as HTMLElement).focus();
  }

  let links: InviteLink[] = [];

  async function load(): Promise<void> {
    tableArea.setAttribute("aria-busy", "true");
    const res = await api.links(teamId);
    tableArea.removeAttribute("aria-busy");
    if (!res.ok) {
      if (res.problem.code === "forbidden") {
        replace(tableArea, h("p", { class: "notice notice-error" }, "Only the team's managers see its invite links."));
      } else if (res.problem.code === "unauthenticated") {
        ctx.refreshHeader();
        replace(tableArea, h("p", { class: "notice notice-error" }, res.problem.detail, " "), signInButton());
      } else {
        replace(tableArea, h("p", { class: "notice notice-error" }, res.problem.detail));
      }
      return;
    }
    links = res.data.links.slice().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    renderTable();
  }

  function renderTable(): void {
    if (!links.length) {
      replace(tableArea, h("p", { class: "empty" }, "No invite links yet."));
      return;
    }
    replace(
      tableArea,
      h(
        "table",
        { class: "links" },
        h("caption", { class: "visually-hidden" }, `${teamName}: invite links`),
        h(
          "thead",
          null,
          h("tr", null, ["Role", "State", "Joined", "Expires", "Made by", "Actions"].map((t) => h("th", { scope: "col" }, t))),
        ),
        h("tbody", null, links.map(row)),
      ),
    );
  }

  function row(l: InviteLink): HTMLTableRowElement {
    const joined = l.joined.length
      ? h("details", null, h("summary", null, `${l.uses} of ${l.maxUses}`), h("ul", null, l.joined.map((j) => h("li", null, j.email))))
      : `${l.uses} of ${l.maxUses}`;
    const revocable = l.actions.includes("revoke");
    return h(
      "tr",
      { "data-link": l.id },
      h(
        "th",
        { scope: "row" },
        roleName(l.role),
        l.domains.length ? h("span", { class: "sub" }, ` (${l.domains.join(", ")} only)`) : null,
        l.approval ? h("span", { class: "sub" }, " (needs approval)") : null,
      ),
      h("td", { "data-state": l.state }, linkStateText(l.state)),
      h("td", null, joined),
      h("td", null, when(l.expiresAt)),
      h("td", null, l.createdByEmail),
      h(
        "td",
        null,
        revocable
          ? h("button", { type: "button", class: "button danger small", onclick: () => void revoke(l, false) }, "Revoke")
          : null,
        // Asked again after revoking, it ends what is left.
        l.uses
          ? h(
              "button",
              { type: "button", class: "button danger small", onclick: () => void revoke(l, true) },
              "Remove who joined",
            )
          : null,
      ),
    );
  }

  async function revoke(l: InviteLink, endMemberships: boolean): Promise<void> {
    const sure = await confirmDialog(
      endMemberships
        ? {
            title: "Revoke this link and remove who joined through it?",
            body: `No one else can join through it, and the ${l.uses === 1 ? "member" : `${l.uses} members`} it brought in lose access to ${teamName} at once (owners, and people who joined again another way, stay).`,
            confirm: "Revoke and remove",
            cancel: "Keep them",
          }
        : {
            title: "Revoke this invite link?",
            body: "No one else can join through it. Those who already joined stay members.",
            confirm: "Revoke link",
            cancel: "Keep link",
          },
    );
    if (!sure) return;
    const res = await api.revokeLink(teamId, l.id, endMemberships);
    if (!res.ok) {
      live.say(`The link was not revoked: ${res.problem.detail}`, "error");
      return;
    }
    const ended = res.data.membershipsEnded;
    live.say(
      endMemberships
        ? `Link revoked; ${ended === 1 ? "1 member" : `${ended} members`} who joined through it removed.`
        : "Link revoked: no one else can join through it.",
    );
    links = links.map((x) => (x.id === l.id ? res.data.link : x));
    renderTable();
    listHeading.focus();
  }

  let requests: JoinRequest[] = [];

  async function loadRequests(): Promise<void> {
    const res = await api.joinRequests(teamId);
    if (!res.ok) {
      replace(requestsArea);
      return;
    }
    // Waiting first, then the answered ones (newest first within each).
    requests = res.data.requests.slice().sort((a, b) => Number(b.status === "pending") - Number(a.status === "pending"));
    renderRequests();
  }

  function renderRequests(): void {
    if (!requests.length) {
      replace(requestsArea, h("p", { class: "empty" }, "No one has asked to join."));
      return;
    }
    replace(
      requestsArea,
      h(
        "table",
        { class: "requests" },
        h("caption", { class: "visually-hidden" }, `${teamName}: requests to join`),
        h("thead", null, h("tr", null, ["Email", "Role", "Through", "Status", "Asked", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          null,
          requests.map((r) =>
            h(
              "tr",
              { "data-user": r.userId },
              h("th", { scope: "row" }, r.email),
              h("td", null, roleName(r.role)),
              h("td", null, r.domain ? `the domain ${r.domain}` : "a link"),
              h("td", null, requestStatusText(r)),
              h("td", null, when(r.createdAt)),
              h(
                "td",
                null,
                r.status === "pending"
                  ? [
                      h("button", { type: "button", class: "button small", "aria-label": `Approve ${r.email}`, onclick: () => void answer(r, "approve") }, "Approve"),
                      h("button", { type: "button", class: "button danger small", "aria-label": `Deny ${r.email}`, onclick: () => void answer(r, "deny") }, "Deny"),
                    ]
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function answer(r: JoinRequest, how: "approve" | "deny"): Promise<void> {
    const res = await api.answerJoinRequest(teamId, r.userId, how);
    if (res.ok) {
      live.say(how === "approve" ? `${r.email} is now a member of ${teamName}.` : `${r.email}'s request was denied.`);
      requests = requests.map((x) => (x.userId === r.userId ? res.data : x));
      renderRequests();
      if (how === "approve") await load();
      requestsHeading.focus();
      return;
    }
    live.say(requestRefusal(res.problem, r), "error");
    await loadRequests();
  }

  function requestRefusal(p: Problem, r: JoinRequest): string {
    switch (p.code) {
      case "join_request_not_pending":
        return `${r.email}'s request can no longer be answered: it was ${p.requestStatus ?? "answered"}.`;
      case "link_not_active":
        return `${r.email} cannot join through that link any more: it ${p.linkState === "usedUp" ? "is used up" : "was revoked"}. Make a new link, or invite them.`;
      case "seat_limit":
        return `${teamName} has no free seat for ${r.email}. Free one, then approve again.`;
      case "already_member":
        return `${r.email} is a member already.`;
      case "domain_not_allowed":
        return `${r.email} cannot join by ${r.domain ?? "that domain"} any more: ${teamName} no longer holds it, or it now joins people with another role. Deny the request, or invite them.`;
      default:
        return `${r.email}'s request was not answered: ${p.detail}`;
    }
  }

  await Promise.all([load(), loadRequests()]);
}

export function requestStatusText(r: JoinRequest): string {
  switch (r.status) {
    case "pending":
      return "Waiting";
    case "expired":
      return "Expired";
    case "approved":
      return "Approved";
    case "denied":
      return "Denied";
    case "cancelled":
      return "Cancelled";
  }
}
