// /teams/{teamId}/members: the team's members (email, role, joined), paged with the
// API's cursor; for every member, Leave on their own row, and for managers, Remove on
// the others', each behind a confirmation, and a role to choose on each row whose role
// they could grant (changed at once, said in words). Who may remove comes from
// the API: GET /teams/{teamId}/roles (a caller who may grant a role holds
// members.manage, as does one whose own role's permissions say so); which removals the
// API then refuses (403: a role the caller could not grant; 409 last_owner) it says,
// and the page explains in words. A manager of a team with a seat limit sees its seats
// above the list (members and open invitations share them).

import type { PageContext } from "../main";
import { api, type Membership, type Problem, type Seats, type TeamRole } from "../api";
import { session } from "../auth";
import { config } from "../config";
import { confirmDialog } from "../dialog";
import { append, h, liveRegion, replace } from "../dom";
import { roleName, when } from "../format";
import { pagerControls, signInButton, signInPrompt } from "./common";
import { teamNav } from "./teamnav";

export async function membersPage(ctx: PageContext): Promise<void> {
  const teamId = ctx.params.teamId;
  const configured = config().team;
  const teamName = configured && configured.id === teamId && configured.name ? configured.name : teamId;
  append(ctx.main, [ctx.heading(`${teamName}: members`), teamNav(teamId, "members")]);

  const s = session();
  if (!s) {
    append(ctx.main, signInPrompt("Sign in to see this team's members."));
    return;
  }

  const me = s.email.toLowerCase();
  const limitParam = Number(ctx.query.get("limit"));
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 100 ? limitParam : 20;
  const rolesAnswer = api.roles(teamId);
  let catalog: TeamRole[] | null = null;
  let manages = false;
  const cursors: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let members: Membership[] = [];
  let nextCursor: string | null = null;

  const live = liveRegion();
  const listHeading = h("h2", { id: "members-heading", tabindex: "-1" }, "Members");
  const tableArea = h("div", { class: "table-area" });
  const pager = h("nav", { "aria-label": "Pages of members", class: "pager" });
  const seatsArea = h("div", { class: "seats" });
  append(ctx.main, [
    live,
    h("section", { "aria-labelledby": "members-heading" }, listHeading, seatsArea, tableArea, pager),
  ]);

  async function load(): Promise<void> {
    tableArea.setAttribute("aria-busy", "true");
    const res = await api.members(teamId, { limit, cursor: cursors[pageIndex] });
    tableArea.removeAttribute("aria-busy");
    if (!res.ok) {
      members = [];
      nextCursor = null;
      replace(pager);
      if (res.problem.code === "forbidden") {
        replace(
          tableArea,
          h("p", { class: "notice notice-error" }, "You are not a member of this team, or your role does not let you see its members."),
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
      return;
    }
    members = res.data.members;
    nextCursor = res.data.nextCursor;
    // Only the first page carries the seats; later pages keep what it said.
    if (pageIndex === 0) renderSeats(res.data.seats ?? null);
    if (!catalog) {
      const r = await rolesAnswer;
      catalog = r.ok && Array.isArray(r.data?.roles) ? r.data.roles : [];
    }
    const mine = members.find((m) => m.email.toLowerCase() === me);
    manages =
      catalog.some((r) => r.grantable) ||
      !!(mine && catalog.find((r) => r.name === mine.role)?.permissions.includes("members.manage"));
    renderTable();
    renderPager();
  }

  function renderSeats(seats: Seats | null): void {
    if (!seats) {
      replace(seatsArea);
      return;
    }
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const taken = `${plural(seats.members, "member", "members")} and ${plural(seats.openInvitations, "open invitation", "open invitations")}`;
    replace(
      seatsArea,
      h(
        "p",
        { class: seats.free ? "notice" : "notice notice-info", "data-seats": String(seats.free) },
        `Seats: ${seats.limit - Math.min(seats.free, seats.limit)} of ${seats.limit} taken (${taken}); `,
        seats.free
          ? `${plural(seats.free, "seat", "seats")} free.`
          : "none free. Withdraw an open invitation or remove a member to invite someone else.",
      ),
    );
  }

  function renderTable(): void {
    if (!members.length) {
      replace(tableArea, h("p", { class: "empty" }, pageIndex ? "No more members." : "No members."));
      return;
    }
    replace(
      tableArea,
      h(
        "table",
        { class: "members" },
        h("caption", { class: "visually-hidden" }, `${teamName}: members, page ${pageIndex + 1}`),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Email", "Role", "Joined", "Actions"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", null, members.map(row)),
      ),
    );
  }

  function row(m: Membership): HTMLTableRowElement {
    const you = m.email.toLowerCase() === me;
    return h(
      "tr",
      { "data-user": m.userId },
      h("th", { scope: "row", class: "email" }, m.email, you ? h("span", { class: "sub you" }, "(you)") : null),
      h("td", null, changeable(m) ? roleSelect(m) : roleName(m.role)),
      h("td", null, when(m.joinedAt)),
      // Anyone may leave; only managers remove others (the API has the last word).
      h(
        "td",
        null,
        you
          ? h(
              "button",
              { type: "button", class: "button danger small", "aria-label": `Leave ${teamName}`, onclick: () => void remove(m) },
              "Leave",
            )
          : manages
            ? h(
                "button",
                {
                  type: "button",
                  class: "button danger small",
                  "aria-label": `Remove ${m.email} from the team`,
                  onclick: () => void remove(m),
                },
                "Remove",
              )
            : null,
      ),
    );
  }

  /** Whether the caller may change this member's role: the roles it may give include theirs. */
  function changeable(m: Membership): boolean {
    return manages && (catalog ?? []).some((r) => r.assignable && r.name === m.role);
  }

  function roleSelect(m: Membership): HTMLSelectElement {
    const select = h(
      "select",
      { "aria-label": `Role of ${m.email}`, onchange: () => void changeRole(m, select) },
      (catalog ?? [])
        .filter((r) => r.assignable)
        .map((r) => h("option", { value: r.name, selected: r.name === m.role }, roleName(r.name))),
    );
    return select;
  }

  async function changeRole(m: Membership, select: HTMLSelectElement): Promise<void> {
    const role = select.value;
    select.disabled = true;
    const res = await api.changeRole(teamId, m.userId, role);
    select.disabled = false;
    if (!res.ok) {
      select.value = m.role;
      live.say(roleRefusal(res.problem, m, role), "error");
      if (res.problem.code === "not_found") await load();
      return;
    }
    const n = res.data.invitationsWithdrawn;
    const withdrawn = n ? ` The ${n === 1 ? "invitation" : `${n} invitations`} they had sent and nobody had answered yet ${n === 1 ? "was" : "were"} withdrawn.` : "";
    live.say(`${m.email} is now ${article(roleName(res.data.role))}.${withdrawn}`);
    // One's own role decides what this page offers: read it again.
    if (m.email.toLowerCase() === me) {
      await load();
      return;
    }
    m.role = res.data.role;
  }

  function roleRefusal(p: Problem, m: Membership, role: string): string {
    switch (p.code) {
      case "last_owner":
        return `${m.email} stays an Owner: a team always keeps at least one owner, and ${m.email} is the only one. Invite someone else as an owner first.`;
      case "forbidden":
        return `${m.email} was not made ${article(roleName(role))}: you can give and take only roles you could invite people into.`;
      case "not_found":
        return `${m.email} is no longer a member of ${teamName}.`;
      default:
        return `The role of ${m.email} was not changed: ${p.detail}`;
    }
  }

  async function remove(m: Membership): Promise<void> {
    const you = m.email.toLowerCase() === me;
    const sure = await confirmDialog({
      title: you ? `Leave ${teamName}?` : `Remove ${m.email} from ${teamName}?`,
      body: you
        ? `You lose access to ${teamName} at once. Someone who manages the team can invite you again.`
        : `${m.email} loses access to ${teamName} at once. You can invite them again later.`,
      confirm: you ? "Leave team" : "Remove member",
      cancel: you ? "Stay" : "Keep member",
    });
    if (!sure) {
      live.say(`${m.email} stays a member of ${teamName}.`);
      return;
    }
    const res = await api.removeMember(teamId, m.userId);
    if (res.ok && you) {
      // No longer a member: nothing of the team's is shown any more.
      members = [];
      nextCursor = null;
      replace(pager);
      replace(tableArea, h("p", null, h("a", { href: "/" }, "Back to the start page")));
      const n = res.data.invitationsWithdrawn;
      const withdrawn = n ? ` The ${n === 1 ? "invitation" : `${n} invitations`} you had sent and nobody had answered yet ${n === 1 ? "was" : "were"} withdrawn.` : "";
      live.say(`You left ${teamName}.${withdrawn}`);
      listHeading.focus();
      return;
    }
    if (res.ok) {
      members = members.filter((x) => x.userId !== m.userId);
      const n = res.data.invitationsWithdrawn;
      const withdrawn = n ? ` The ${n === 1 ? "invitation" : `${n} invitations`} they had sent and nobody had answered yet ${n === 1 ? "was" : "were"} withdrawn.` : "";
      live.say(`${m.email} was removed from ${teamName}.${withdrawn}`);
      renderTable();
      listHeading.focus();
      return;
    }
    live.say(refusal(res.problem, m), "error");
    if (res.problem.code === "not_found") await load();
    listHeading.focus();
  }

  function refusal(p: Problem, m: Membership): string {
    switch (p.code) {
      case "last_owner":
        return m.email.toLowerCase() === me
          ? `You did not leave ${teamName}: a team always keeps at least one owner, and you are the only one. Invite someone else as an owner first.`
          : `${m.email} was not removed: a team always keeps at least one owner, and ${m.email} is the only one.`;
      case "forbidden":
        return `${m.email} was not removed: your role cannot remove a member who is ${article(roleName(m.role))}. You can remove only members whose role you could invite people into.`;
      case "not_found":
        return `${m.email} is no longer a member of ${teamName}.`;
      default:
        return `${m.email} could not be removed: ${p.detail}`;
    }
  }

  function renderPager(): void {
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
    const wanted = step === 1 ? "Next page" : "Previous page";
    const again = [...pager.querySelectorAll("button")].find((b) => b.textContent === wanted && !b.disabled);
    (again ?? listHeading).focus();
  }

  await load();
}

function article(role: string): string {
  return `${/^[AEIOU]/i.test(role) ? "an" : "a"} ${role}`;
}
