import { h } from "./dom";
import type { Status } from "./api";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A <time> with the exact instant as its machine-readable value and its title. */
export function when(iso: string | undefined): HTMLElement | string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h("time", { datetime: iso, title: d.toISOString() }, dateTime.format(d));
}

export function whenText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export const STATUS_LABEL: Record<Status, string> = {
  open: "Open",
  expired: "Expired",
  accepted: "Accepted",
  declined: "Declined",
  withdrawn: "Withdrawn",
};

// A symbol as well as a colour, and the word itself: never colour alone.
const STATUS_MARK: Record<Status, string> = {
  open: "○",
  expired: "⌛",
  accepted: "✓",
  declined: "✕",
  withdrawn: "⊘",
};

export function statusBadge(status: Status): HTMLElement {
  return h(
    "span",
    { class: `badge badge-${status}` },
    h("span", { "aria-hidden": "true" }, STATUS_MARK[status] ?? "•", " "),
    STATUS_LABEL[status] ?? status,
  );
}

const ROLE_LABEL: Record<string, string> = { owner: "Owner", administrator: "Administrator", member: "Member" };

export function roleName(role: string): string {
  return ROLE_LABEL[role] ?? role;
}
