import { h } from "../dom";

/** The team's pages: its invitations, its members and its invite links; the current one marked for everyone (aria-current, not colour alone). */
export function teamNav(teamId: string, current: "invitations" | "members" | "links"): HTMLElement {
  const base = `/teams/${encodeURIComponent(teamId)}`;
  const link = (what: typeof current, href: string, text: string) =>
    h("li", null, h("a", { href, "aria-current": what === current ? "page" : null, class: "tab" }, text));
  return h(
    "nav",
    { "aria-label": "Team", class: "team-nav" },
    h(
      "ul",
      null,
      link("invitations", base, "Invitations"),
      link("members", `${base}/members`, "Members"),
      link("links", `${base}/links`, "Invite links"),
    ),
  );
}
