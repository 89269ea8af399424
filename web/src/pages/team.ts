// /teams/{teamId}: the team's invitations, newest first, with a status filter and
// paging; what became of each email, in words (with a warning on an open invitation
// whose email did not arrive); for managers an invite form, per open invitation
// copy-link, resend and withdraw, and on every invitation its history (a dialog).
// Who is a manager comes from the API's answers, never from a guess:
// open invitations carry `link` only for callers holding members.manage (or, when
// the API sends them, each invitation's `actions`), and inviting answers 403 to others.

import type { PageContext } from "../main";
import { navigate } from "../main";
import { api, type HistoryEntry, type Invitation, type Page, type Problem, type Status } from "../api";
import { decodeJwt, session } from "../auth";
import { config } from "../config";
import { confirmDialog, showDialog } from "../dialog";
import { acceptRequestsSection } from "./consents";
import { append, h, liveRegion, replace, uid } from "../dom";
import { deliveryEvent, deliveryLabel, roleName, STATUS_LABEL, statusBadge, when } from "../format";
import { pagerControls, signInButton, signInPrompt } from "./common";
import { teamNav } from "./teamnav";

const STATUSES: Status[] = ["open", "expired", "accepted", "declined", "withdrawn"];
// The roles offered: those GET /teams/{teamId}/roles says the caller may grant.
// From an API without that route, the catalog's roles, and the API's 422 answers
// for one the caller may not grant (such as owner).
const FALLBACK_ROLES = ["member", "administrator", "owner"];

interface Actions {
  copyLink: boolean;
  resend: boolean;
  withdraw: boolean;
}

function actionsOf(inv: Invitation): Actions {
  if (Array.isArray(inv.actions)) {
    return {
      copyLink: inv.actions.includes("copyLink") && !!inv.link,
      resend: inv.actions.includes("resend"),
      withdraw: inv.actions.includes("withdraw"),
    };
  }
  const manager = inv.status === "open" && !!inv.link;
  return { copyLink: manager, resend: false, withdraw: manager };
}

/** true/false when the page says whether the caller manages the team; null when it cannot tell. */
function managesFrom(page: Page): boolean | null {
  if (page.invitations.some((i) => Array.isArray(i.actions) && i.actions.length > 0)) return true;
  if (page.invitations.some((i) => i.status === "open" && !!i.link)) return true;
  if (page.invitations.some((i) => i.status === "open" && !i.link)) return false;
  return null;
}

export async function teamPage(ctx: PageContext): Promise<void> {
  const teamId = ctx.params.teamId;
  // Asked once, beside the first page of the list.
  const rolesAnswer = session() ? api.roles(teamId) : null;
  const configured = config().team;
  let teamName = configured && configured.id === teamId && configured.name ? configured.name : teamId;
  const h1 = ctx.heading(`${teamName}: invitations`);
  append(ctx.main, [h1, teamNav(teamId, "invitations")]);

  if (!session()) {
    append(ctx.main, signInPrompt("Sign in to see this team's invitations."));
    return;
  }

  const statusParam = ctx.query.get("status") ?? "";
  const filter: Status | "" = (STATUSES as string[]).includes(statusParam) ? (statusParam as Status) : "";
  const limitParam = Number(ctx.query.get("limit"));
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 100 ? limitParam : 20;

  let manages: boolean | null = null;
  let rolesPending = true;
  const cursors: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let current: Page = { invitations: [], nextCursor: null };

  const live = liveRegion();
  const inviteSection = h("section", { "aria-labelledby": "invite-heading", class: "card", hidden: true });
  const listHeading = h("h2", { id: "list-heading", tabindex: "-1" }, "Invitations");
  const tableArea = h("div", { class: "table-area" });
  const pager = h("nav", { "aria-label": "Pages of invitations", class: "pager" });
  const linkBox = h("div", { class: "link-box" });

  // ---- the status filter: a GET form, so the URL says what is shown ----
  const filterId = uid("status-filter");
  const select = h(
    "select",
    { id: filterId, name: "status" },
    h("option", { value: "", selected: filter === "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s, selected: filter === s }, STATUS_LABEL[s])),
  );
  const filterForm = h(
    "form",
    {
      class: "inline-form",
      role: "search",
      "aria-label": "Filter invitations",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const q = new URLSearchParams();
        if (select.value) q.set("status", select.value);
        if (limit !== 20) q.set("limit", String(limit));
        const qs = q.toString();
        navigate(`/teams/${encodeURIComponent(teamId)}${qs ? `?${qs}` : ""}`);
      },
    },
    h("label", { for: filterId }, "Show"),
    select,
    h("button", { type: "submit", class: "button secondary" }, "Apply filter"),
  );

  // Requests to accept as another address: approving one accepts an invitation, so the list reloads.
  const consents = acceptRequestsSection(teamId, () => teamName, live, () => load());
  append(ctx.main, [
    live,
    inviteSection,
    h(
      "section",
      { "aria-labelledby": "list-heading" },
      listHeading,
      filterForm,
      linkBox,
      tableArea,
      pager,
    ),
    consents.section,
  ]);

  // ---- the invite form ----
  const emailId = uid("invite-email");
  const roleId = uid("invite-role");
  const emailError = h("p", { id: `${emailId}-error`, class: "field-error", hidden: true });
  const roleError = h("p", { id: `${roleId}-error`, class: "field-error", hidden: true });
  const formError = h("div", { class: "notice notice-error", role: "alert", hidden: true });
  const email = h("input", {
    id: emailId,
    name: "email",
    type: "email",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": `${emailId}-error`,
  });
  const role = h(
    "select",
    { id: roleId, name: "role", "aria-describedby": `${roleId}-hint ${roleId}-error` },
    FALLBACK_ROLES.map((name) => h("option", { value: name }, roleName(name))),
  );
  const localeId = uid("invite-locale");
  const locale = h(
    "select",
    { id: localeId, name: "locale", "aria-describedby": `${localeId}-hint` },
    h("option", { value: "en", selected: true }, "English"),
    h("option", { value: "de", lang: "de" }, "Deutsch"),
  );
  const daysId = uid("invite-days");
  const days = h(
    "select",
    { id: daysId, name: "expiresInDays", "aria-describedby": `${daysId}-hint` },
    h("option", { value: "", selected: true }, "The usual week"),
    [1, 3, 14, 30].map((d) => h("option", { value: String(d) }, d === 1 ? "1 day" : `${d} days`)),
  );
  const noteId = uid("invite-note");
  const noteError = h("p", { id: `${noteId}-error`, class: "field-error", hidden: true });
  const note = h("textarea", {
    id: noteId,
    name: "note",
    rows: "3",
    maxlength: "500",
    "aria-describedby": `${noteId}-hint ${noteId}-error`,
  });
  const roleHint = h(
    "p",
    { id: `${roleId}-hint`, class: "hint" },
    "You can grant only what your own role holds; owners are never invited.",
  );

  /** Offers the roles the API says the caller may grant; none means the caller cannot invite. */
  async function applyRoles(): Promise<void> {
    const r = rolesAnswer ? await rolesAnswer : null;
    if (!r || !r.ok || !Array.isArray(r.data?.roles)) return; // an API without the route: the fallback list
    const grantable = r.data.roles.filter((x) => x.grantable).map((x) => x.name);
    if (!grantable.length) {
      manages = false;
      return;
    }
    // Granting a role takes members.manage: the manager's controls (History on every row).
    manages = true;
    const wanted = grantable.includes("member") ? "member" : grantable[0];
    replace(role, grantable.map((name) => h("option", { value: name, selected: name === wanted }, roleName(name))));
    roleHint.textContent = "The roles you may invite people into in this team.";
  }
  const submit = h("button", { type: "submit", class: "button" }, "Send invitation");

  function fieldError(input: HTMLElement, box: HTMLElement, message: string | null): void {
    box.hidden = !message;
    box.textContent = message ?? "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function clearErrors(): void {
    fieldError(email, emailError, null);
    fieldError(role, roleError, null);
    fieldError(note, noteError, null);
    formError.hidden = true;
    formError.textContent = "";
  }

  function showFormError(text: string): void {
    formError.hidden = false;
    formError.textContent = text;
  }

  const form = h(
    "form",
    { novalidate: true, class: "invite-form", onsubmit: (e: Event) => void onInvite(e) },
    formError,
    h("div", { class: "field" }, h("label", { for: emailId }, "Email address"), email, emailError),
    h(
      "div",
      { class: "field" },
      h("label", { for: roleId }, "Role"),
      role,
      roleHint,
      roleError,
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: localeId }, "Language (optional)"),
      locale,
      h("p", { id: `${localeId}-hint`, class: "hint" }, "Of the email and of the page its link opens."),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: daysId }, "Open for"),
      days,
      h("p", { id: `${daysId}-hint`, class: "hint" }, "Until it expires; sending it again opens it for as long."),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: noteId }, "Personal note (optional)"),
      note,
      h("p", { id: `${noteId}-hint`, class: "hint" }, "Shown in the email and on the invitation page; up to 500 characters."),
      noteError,
    ),
    submit,
  );

  // Shown unless the API said the caller does not manage the team; changed only
  // when that changes, so that a list arriving later never takes the focus away.
  function renderInviteSection(): void {
    const show = manages !== false;
    if (show === inviteSection.hasChildNodes()) return;
    if (show) replace(inviteSection, h("h2", { id: "invite-heading" }, "Invite someone"), form);
    else replace(inviteSection);
    inviteSection.hidden = !show;
  }

  async function onInvite(e: Event): Promise<void> {
    e.preventDefault();
    clearErrors();
    const address = email.value.trim();
    if (!address) {
      fieldError(email, emailError, "Enter the email address of the person to invite.");
      email.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Sending…";
    const res = await api.invite(teamId, address, role.value, {
      locale: locale.value,
      expiresInDays: days.value ? Number(days.value) : undefined,
      note: note.value.trim() || undefined,
    });
    submit.disabled = false;
    submit.textContent = "Send invitation";
    if (res.ok) {
      const inv = res.data;
      manages = true;
      email.value = "";
      note.value = "";
      live.say(
        inv.emailDelivery === "failed"
          ? `Invitation created for ${inv.email} as ${roleName(inv.role)}, but the email could not be sent. Copy its link from the list and send it yourself.`
          : `Invitation sent to ${inv.email} as ${roleName(inv.role)}.`,
        inv.emailDelivery === "failed" ? "error" : "info",
      );
      // The list reads an index that DynamoDB updates asynchronously: show the new
      // invitation at once rather than wait for it to appear there.
      if (pageIndex === 0 && (filter === "" || filter === "open") && !current.invitations.some((i) => i.id === inv.id)) {
        current.invitations.unshift(inv);
        renderTable();
      }
      email.focus();
      return;
    }
    handleInviteProblem(res.problem, address);
  }

  function handleInviteProblem(p: Problem, address: string): void {
    switch (p.code) {
      case "validation_failed": {
        const other: string[] = [];
        for (const err of p.errors ?? []) {
          if (err.field === "email") fieldError(email, emailError, capitalise(err.message));
          else if (err.field === "role") fieldError(role, roleError, capitalise(err.message));
          else if (err.field === "note") fieldError(note, noteError, capitalise(err.message));
          else other.push(`${err.field}: ${err.message}`);
        }
        if (other.length || !(p.errors ?? []).length) showFormError(other.join("; ") || p.detail);
        (email.getAttribute("aria-invalid") ? email : role.getAttribute("aria-invalid") ? role : submit).focus();
        return;
      }
      case "already_invited":
        showFormError(
          `${address} already has an open invitation to this team. Copy its link from the list below to send it again, or withdraw it and invite again.`,
        );
        break;
      case "already_member":
        showFormError(`${address} is already a member of this team, so there is nothing to invite them to.`);
        break;
      case "rate_limited": {
        const minutes = p.retryAfter ? Math.max(1, Math.ceil(p.retryAfter / 60)) : null;
        const later = minutes ? `in ${minutes} minute${minutes === 1 ? "" : "s"}` : "later";
        showFormError(
          p.limit === "openInvitations"
            ? `This team has as many open invitations as it may have. Withdraw those no longer needed, then invite ${address}.`
            : p.limit === "emailsPerRecipientPerDay"
              ? `${address} has been sent as many invitation emails today as anyone may be. You can invite them ${later}.`
              : `This team has sent as many invitation emails as it may in an hour. You can invite ${address} ${later}.`,
        );
        break;
      }
      case "seat_limit":
        showFormError(
          `Every seat of this team is taken by its members and open invitations, so ${address} cannot be invited. Withdraw an open invitation or remove a member to free a seat, or ask for more seats.`,
        );
        break;
      case "team_closed":
        showFormError("This team has been closed: nobody can be invited to it any more.");
        break;
      case "forbidden":
        manages = false;
        live.say(
          "You can see this team's invitations, but inviting people needs a role that manages members (an owner or an administrator).",
          "error",
        );
        renderInviteSection();
        renderTable();
        listHeading.focus();
        return;
      case "unauthenticated":
        showFormError("Your session has ended. Sign in again, then send the invitation.");
        ctx.refreshHeader();
        break;
      default:
        showFormError(p.detail);
    }
    formError.focus();
  }

  // ---- the list ----
  async function load(): Promise<void> {
    tableArea.setAttribute("aria-busy", "true");
    const res = await api.list(teamId, { status: filter || undefined, limit, cursor: cursors[pageIndex] });
    tableArea.removeAttribute("aria-busy");
    if (!res.ok) {
      current = { invitations: [], nextCursor: null };
      if (res.problem.code === "forbidden") {
        manages = false;
        renderInviteSection();
        replace(
          tableArea,
          h(
            "p",
            { class: "notice notice-error" },
            "You are not a member of this team, or your role does not let you see its invitations.",
          ),
        );
      } else if (res.problem.code === "unauthenticated") {
        ctx.refreshHeader();
        replace(
          tableArea,
          h("p", { class: "notice notice-error" }, res.problem.detail, " "),
          signInButton(),
        );
      } else {
        replace(tableArea, h("p", { class: "notice notice-error" }, res.problem.detail));
      }
      replace(pager);
      return;
    }
    current = res.data;
    const found = managesFrom(current);
    if (found !== null) manages = found;
    if (rolesPending) {
      rolesPending = false;
      await applyRoles();
    }
    const named = current.invitations[0]?.teamName;
    if (named && named !== teamName) {
      teamName = named;
      h1.textContent = `${teamName}: invitations`;
      document.title = `${teamName}: invitations · Team invitations`;
    }
    renderInviteSection();
    renderTable();
    renderPager();
  }

  function renderTable(): void {
    const rows = current.invitations;
    if (!rows.length) {
      replace(
        tableArea,
        h("p", { class: "empty" }, filter ? `No ${STATUS_LABEL[filter].toLowerCase()} invitations.` : "No invitations yet."),
      );
      return;
    }
    const withActions = manages === true || rows.some((i) => Object.values(actionsOf(i)).some(Boolean));
    replace(
      tableArea,
      h(
        "table",
        { class: "invitations" },
        h(
          "caption",
          { class: "visually-hidden" },
          `${teamName}: ${filter ? STATUS_LABEL[filter].toLowerCase() : "all"} invitations, newest first, page ${pageIndex + 1}`,
        ),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Email", "Role", "Status", "Invited", "Expires", "Email delivery"].map((t) => h("th", { scope: "col" }, t)),
            withActions ? h("th", { scope: "col" }, "Actions") : null,
          ),
        ),
        h("tbody", null, rows.map((inv) => row(inv, withActions))),
      ),
    );
  }

  function row(inv: Invitation, withActions: boolean): HTMLTableRowElement {
    const acts = actionsOf(inv);
    const answered =
      inv.status === "accepted" ? inv.acceptedAt : inv.status === "declined" ? inv.declinedAt : inv.status === "withdrawn" ? inv.withdrawnAt : undefined;
    return h(
      "tr",
      { "data-invitation": inv.id },
      h("th", { scope: "row", class: "email" }, inv.email),
      h("td", null, roleName(inv.role)),
      h("td", null, statusBadge(inv.status), answered ? h("span", { class: "sub" }, " on ", when(answered)) : null),
      h("td", null, when(inv.createdAt)),
      h("td", null, when(inv.expiresAt)),
      h("td", null, deliveryCell(inv, acts)),
      withActions
        ? h(
            "td",
            null,
            h(
              "div",
              { class: "row-actions" },
              manages === true
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "button secondary small",
                      "aria-label": `History of the invitation for ${inv.email}`,
                      "aria-haspopup": "dialog",
                      onclick: () => void showHistory(inv),
                    },
                    "History",
                  )
                : null,
              acts.copyLink
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "button secondary small",
                      "aria-label": `Copy link for ${inv.email}`,
                      onclick: (e: Event) => void copyLink(inv, e.currentTarget as HTMLButtonElement),
                    },
                    "Copy link",
                  )
                : null,
              acts.resend
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "button secondary small",
                      "aria-label": `${inv.status === "expired" ? "Renew" : "Resend"} invitation to ${inv.email}`,
                      onclick: () => void resend(inv),
                    },
                    inv.status === "expired" ? "Renew" : "Resend",
                  )
                : null,
              acts.withdraw
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "button danger small",
                      "aria-label": `Withdraw invitation for ${inv.email}`,
                      onclick: () => void withdraw(inv),
                    },
                    "Withdraw",
                  )
                : null,
            ),
          )
        : null,
    );
  }

  // ---- an invitation's history, in a dialog (members.manage) ----
  let historyLoading = false;
  let teamEmails: Promise<Map<string, string>> | null = null;

  /** The team's members' addresses by user id, read once (for who withdrew, and the like). */
  function memberEmails(): Promise<Map<string, string>> {
    teamEmails ??= (async () => {
      const found = new Map<string, string>();
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) {
        const r = await api.members(teamId, { limit: 100, cursor });
        if (!r.ok) {
          teamEmails = null; // asked again next time
          break;
        }
        for (const m of r.data.members ?? []) found.set(m.userId, m.email);
        if (!r.data.nextCursor) break;
        cursor = r.data.nextCursor;
      }
      return found;
    })();
    return teamEmails;
  }

  /** Addresses for the history's actors (user ids): from the invitation, the session, then the members. */
  async function actorNames(inv: Invitation, entries: HistoryEntry[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const me = session();
    if (me) {
      try {
        const sub = decodeJwt(me.idToken).sub;
        if (typeof sub === "string") names.set(sub, me.email);
      } catch {
        // an unreadable token names nobody
      }
    }
    if (inv.invitedByEmail) names.set(inv.invitedBy, inv.invitedByEmail);
    if (inv.acceptedBy) names.set(inv.acceptedBy, inv.email);
    if (inv.declinedBy) names.set(inv.declinedBy, inv.email);
    if (entries.some((e) => e.actor && !names.has(e.actor))) {
      for (const [id, address] of await memberEmails()) if (!names.has(id)) names.set(id, address);
    }
    return names;
  }

  async function showHistory(inv: Invitation): Promise<void> {
    if (historyLoading) return;
    historyLoading = true;
    const res = await api.history(teamId, inv.id);
    if (!res.ok) {
      historyLoading = false;
      if (res.problem.code === "unauthenticated") ctx.refreshHeader();
      live.say(`The history of the invitation for ${inv.email} could not be loaded: ${problemText(res.problem)}`, "error");
      return;
    }
    const entries = Array.isArray(res.data?.history) ? res.data.history : [];
    const names = await actorNames(inv, entries);
    historyLoading = false;
    await showDialog({
      title: `History of the invitation for ${inv.email}`,
      content: entries.length
        ? h(
            "ol",
            { class: "history" },
            entries.map((e) =>
              h("li", null, h("span", { class: "history-when" }, when(e.at)), " ", h("span", null, historyText(e, names))),
            ),
          )
        : h("p", null, "Nothing has been recorded for it yet."),
    });
  }

  async function copyLink(inv: Invitation, button: HTMLButtonElement): Promise<void> {
    const link = inv.link ?? "";
    replace(linkBox);
    try {
      await navigator.clipboard.writeText(link);
      live.say(`Link for ${inv.email} copied to the clipboard.`);
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy link"), 3000);
    } catch {
      // Clipboard refused (permissions, an insecure origin): show it to copy by hand.
      const id = uid("link");
      const input = h("input", { id, readonly: true, value: link, class: "wide" });
      replace(
        linkBox,
        h("label", { for: id }, `Link for ${inv.email} (copy it yourself: the browser did not allow copying)`),
        input,
      );
      live.say(`Could not copy to the clipboard. The link for ${inv.email} is shown above the list; select it and copy it.`, "error");
      input.focus();
      input.select();
    }
  }

  async function resend(inv: Invitation): Promise<void> {
    // An expired invitation is renewed: the same invitation, open again.
    const renewing = inv.status === "expired";
    const sure = await confirmDialog(
      renewing
        ? {
            title: "Renew this invitation?",
            body: `It opens again for ${inv.email}: a new email with a new link, valid from now, as long as it was before. Its history stays.`,
            confirm: "Renew invitation",
            cancel: "Cancel",
          }
        : {
            title: "Send this invitation again?",
            body: `${inv.email} gets a new email with a new link, valid from now. The link sent before stops working.`,
            confirm: "Resend invitation",
            cancel: "Cancel",
          },
    );
    if (!sure) return;
    const res = await api.resend(teamId, inv.id);
    if (res.ok) {
      const i = current.invitations.findIndex((x) => x.id === inv.id);
      if (i >= 0) current.invitations[i] = res.data;
      renderTable();
      listHeading.focus();
      live.say(
        res.data.emailDelivery === "failed"
          ? `A new link was made for ${inv.email}, but the email could not be sent. Copy the link and send it yourself; the link sent before no longer works.`
          : renewing
            ? `The invitation to ${inv.email} is open again, with a new link sent by email.`
            : `The invitation was sent again to ${inv.email} with a new link. The link sent before no longer works.`,
        res.data.emailDelivery === "failed" ? "error" : "info",
      );
      return;
    }
    const p = res.problem;
    if (p.code === "resend_too_soon") {
      const minutes = p.retryAfter ? Math.max(1, Math.ceil(p.retryAfter / 60)) : null;
      live.say(
        `It was sent only a short while ago. ${minutes ? `You can send it again in ${minutes} minute${minutes === 1 ? "" : "s"}.` : "Try again later."} Meanwhile you can copy its link.`,
        "error",
      );
      // Someone else may have sent it (a new link): show the list as it is now.
      await load();
      listHeading.focus();
      return;
    }
    const refusal = resendRefusal(p, inv.email);
    if (refusal) {
      live.say(refusal, "error");
      await load();
      listHeading.focus();
      return;
    }
    live.say(`It could not be sent again: ${problemText(p)}`, "error");
    await load();
    listHeading.focus();
  }

  async function withdraw(inv: Invitation): Promise<void> {
    const sure = await confirmDialog({
      title: "Withdraw this invitation?",
      body: `${inv.email} will no longer be able to join ${teamName} with the link they were sent. You can invite them again later.`,
      confirm: "Withdraw invitation",
      cancel: "Keep invitation",
    });
    if (!sure) {
      live.say(`The invitation for ${inv.email} was kept.`);
      return;
    }
    const res = await api.withdraw(teamId, inv.id);
    if (res.ok) {
      inv.status = "withdrawn";
      inv.withdrawnAt = res.data.withdrawnAt;
      delete inv.link;
      delete inv.linkToken;
      if (Array.isArray(inv.actions)) inv.actions = [];
      live.say(`The invitation for ${inv.email} was withdrawn. Its link no longer works.`);
      renderTable();
      listHeading.focus();
      return;
    }
    live.say(`It could not be withdrawn: ${problemText(res.problem)}`, "error");
    await load();
    listHeading.focus();
  }

  // ---- paging: the API's opaque cursor, a stack of them for going back ----
  function renderPager(): void {
    replace(pager, ...pagerControls(pageIndex, !!current.nextCursor, (step) => void turn(step)));
  }

  async function turn(step: 1 | -1): Promise<void> {
    if (step === 1) {
      if (!current.nextCursor) return;
      cursors[pageIndex + 1] = current.nextCursor;
      pageIndex += 1;
    } else {
      if (pageIndex === 0) return;
      pageIndex -= 1;
    }
    replace(linkBox);
    await load();
    // Keep focus on the button pressed while it still works, else on the list.
    const wanted = step === 1 ? "Next page" : "Previous page";
    const again = [...pager.querySelectorAll("button")].find((b) => b.textContent === wanted && !b.disabled);
    (again ?? listHeading).focus();
  }

  // The invite form appears with the first page, once the answers say whether it should.
  await Promise.all([load(), consents.load()]);
}

/**
 * The email's fate in words. On an open invitation whose email did not arrive
 * (failed, bounced, marked as spam) a visible warning that says what a manager can
 * do, with the controls the row offers.
 */
function deliveryCell(inv: Invitation, acts: Actions): HTMLElement | string {
  const label = deliveryLabel(inv.emailDelivery, inv.bounceType);
  const trouble = inv.emailDelivery === "failed" || inv.emailDelivery === "bounced" || inv.emailDelivery === "complained";
  if (!trouble || inv.status !== "open") return h("span", { class: `delivery delivery-${inv.emailDelivery}` }, label);
  const otherWay =
    acts.copyLink && acts.withdraw
      ? " Copy the link and send it another way, or withdraw it and invite the correct address."
      : acts.copyLink
        ? " Copy the link and send it another way."
        : acts.withdraw
          ? " Withdraw it and invite the correct address."
          : "";
  let lead: string;
  let why: string;
  let next: string;
  switch (inv.emailDelivery) {
    case "failed":
      // The wording of before: "Copy the link and send it yourself."
      lead = "Failed:";
      why = " the email did not go out.";
      next =
        (acts.copyLink ? " Copy the link and send it yourself." : "") +
        (acts.withdraw ? " If the address is wrong, withdraw it and invite the correct one." : "");
      break;
    case "complained":
      lead = "Marked as spam by the recipient:";
      why = " do not send it again by email.";
      next = otherWay;
      break;
    default:
      if (inv.bounceType === "permanent") {
        lead = "Email bounced:";
        why = " the address does not accept mail, and sending it again will not help.";
      } else {
        lead = `${label}:`;
        why = " it could not be delivered for now.";
      }
      next = otherWay;
  }
  return h(
    "span",
    { class: "warning" },
    h("span", { "aria-hidden": "true" }, "⚠ "),
    h("strong", null, lead),
    why,
    next,
  );
}

/** Why a resend was refused, in words with what to do instead, for the refusals
 * that waiting for the cooldown does not explain. */
function resendRefusal(p: Problem, email: string): string | null {
  switch (p.code) {
    case "resend_limit_reached":
      return `This invitation has been emailed ${p.maxSends ?? "as many"} times, the most one invitation is sent. Copy its link and send it to ${email} another way.`;
    case "recipient_unreachable":
      return p.reason === "complained"
        ? `${email} marked the last invitation email as spam, so no more are sent to them. If they still want to join, copy the link and send it another way.`
        : `The last email to ${email} bounced: the address does not accept mail, so it is not sent again. Withdraw this invitation and invite the correct address.`;
    case "invitation_superseded":
      return `${email} was invited again after this invitation expired. Act on the newer invitation instead.`;
    case "already_member":
      return `${email} has joined the team since this invitation expired: there is nothing to renew.`;
    case "seat_limit":
      return `Every seat of this team is taken by its members and open invitations, so this invitation cannot open again. Withdraw an open invitation or remove a member to free a seat.`;
    case "rate_limited":
      return p.limit === "emailsPerRecipientPerDay"
        ? `${email} has been sent as many invitation emails today as anyone may be. Try again tomorrow, or copy the link.`
        : p.limit === "openInvitations"
          ? `This team has as many open invitations as it may have. Withdraw those no longer needed, then renew this one.`
          : `This team has sent as many invitation emails as it may in an hour. Try again later, or copy the link.`;
    default:
      return null;
  }
}

/** One entry of an invitation's history, in words; actors by address where known. */
function historyText(e: HistoryEntry, names: Map<string, string>): string {
  const who = e.actor ? (names.get(e.actor) ?? `user ${e.actor}`) : null;
  const by = (what: string) => (who ? `${what} by ${who}` : what);
  switch (e.type) {
    case "invitation.created":
      return by("Invited");
    case "invitation.resent":
      return by("Sent again");
    case "invitation.accepted":
      return by("Accepted");
    case "invitation.declined":
      return by("Declined");
    case "invitation.withdrawn":
      return by("Withdrawn");
    case "invitation.reminded":
      return "Reminded before expiry";
    case "invitation.delivery_changed":
      return deliveryEvent(e.emailDelivery, e.bounceType);
    default:
      return String(e.type);
  }
}

/** Why a change to one invitation was refused, in words. */
function problemText(p: Problem): string {
  switch (p.code) {
    case "invitation_not_open":
      return `it is already ${p.invitationStatus ?? "answered"}.`;
    case "invitation_expired":
      return "it has expired.";
    case "forbidden":
      return "your role does not let you manage this team's invitations.";
    case "not_found":
      return "it no longer exists.";
    default:
      return p.detail;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
