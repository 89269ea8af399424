import { h } from "./dom";
import type { BounceType, EmailDelivery, Status } from "./api";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const formats = new Map<string, Intl.DateTimeFormat>();

/** The browser's own date format, or a language's (the invitation page in German). */
function formatIn(locale?: string): Intl.DateTimeFormat {
  if (!locale) return dateTime;
  let f = formats.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
    formats.set(locale, f);
  }
  return f;
}

/** A <time> with the exact instant as its machine-readable value and its title. */
export function when(iso: string | undefined, locale?: string): HTMLElement | string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h("time", { datetime: iso, title: d.toISOString() }, formatIn(locale).format(d));
}

export function whenText(iso: string, locale?: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatIn(locale).format(d);
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

const BOUNCE_LABEL: Record<BounceType, string> = {
  permanent: "Email bounced: the address does not accept mail",
  transient: "Email bounced (temporary)",
  undetermined: "Email bounced (reason unknown)",
};

/** What became of an invitation's email, in words (the list's "Email delivery" column). */
export function deliveryLabel(delivery: EmailDelivery, bounce?: BounceType): string {
  switch (delivery) {
    case "pending":
      return "Pending";
    case "sent":
      return "Sent";
    case "failed":
      return "Failed: the email did not go out";
    case "delayed":
      return "Email delayed (SES is retrying)";
    case "delivered":
      return "Email delivered";
    case "bounced":
      return bounce ? BOUNCE_LABEL[bounce] ?? "Email bounced" : "Email bounced";
    case "complained":
      return "Marked as spam by the recipient";
    default:
      return String(delivery);
  }
}

const BOUNCE_EVENT: Record<BounceType, string> = {
  permanent: "Email bounced (permanent)",
  transient: "Email bounced (temporary)",
  undetermined: "Email bounced (reason unknown)",
};

/** One report on the email, in an invitation's history. */
export function deliveryEvent(delivery: EmailDelivery | undefined, bounce?: BounceType): string {
  switch (delivery) {
    case "pending":
      return "Email waiting to be sent";
    case "sent":
      return "Email sent";
    case "failed":
      return "Email could not be sent";
    case "bounced":
      return bounce ? BOUNCE_EVENT[bounce] ?? "Email bounced" : "Email bounced";
    case undefined:
      return "Email delivery changed";
    default:
      return deliveryLabel(delivery, bounce);
  }
}
