// /invitations/{id}?token=: the emailed link. Previews without sign-in; Accept asks
// the person to sign in (and comes back here to finish); Decline needs only the link.
// A wrong or tampered link, an unknown invitation and a malformed one all read as
// one "not valid" page, as the API makes them indistinguishable.

import type { PageContext } from "../main";
import { api, type Preview, type Problem, type Status } from "../api";
import { forgetSession, session, signIn } from "../auth";
import { confirmDialog } from "../dialog";
import { append, h, replace } from "../dom";
import { roleName, when, whenText } from "../format";

const INTENT = "invitations.intent";

interface Intent {
  action: "accept";
  id: string;
}

export async function invitationPage(ctx: PageContext): Promise<void> {
  const id = ctx.params.invitationId;
  const token = ctx.query.get("token") ?? "";
  const here = location.pathname + location.search;
  const main = ctx.main;

  const loading = h("p", { role: "status" }, "Loading the invitation…");
  append(main, [loading]);

  const res = token ? await api.preview(id, token) : null;
  if (!res || !res.ok) {
    if (res && !["not_found", "invalid_request", "validation_failed"].includes(res.problem.code)) {
      return trouble(res.problem);
    }
    return invalid();
  }
  let preview = res.data;

  // Coming back from signing in to accept: finish what the person asked for.
  const intent = takeIntent();
  if (intent && intent.id === id && preview.status === "open" && session()) {
    return accept();
  }
  return show(preview.status);

  function details(p: Preview): HTMLElement {
    return h(
      "dl",
      { class: "details" },
      h("dt", null, "Team"),
      h("dd", null, p.teamName),
      h("dt", null, "Role"),
      h("dd", null, roleName(p.role)),
      h("dt", null, "Invited address"),
      h("dd", null, p.email),
      h("dt", null, "Sent"),
      h("dd", null, when(p.createdAt)),
      h("dt", null, p.status === "expired" ? "Expired" : "Expires"),
      h("dd", null, when(p.expiresAt)),
    );
  }

  function page(title: string, ...body: (Node | string | null)[]): void {
    replace(main, ctx.heading(title), ...body);
    ctx.refreshHeader();
  }

  function show(status: Status): void {
    switch (status) {
      case "open":
        return open();
      case "expired":
        return page(
          "This invitation has expired",
          h("p", null, `It expired on ${whenText(preview.expiresAt)}, so it can no longer be accepted or declined.`),
          h("p", null, `Ask someone at ${preview.teamName} to send you a new invitation.`),
          details(preview),
        );
      case "withdrawn":
        return page(
          "This invitation was withdrawn",
          h("p", null, `${preview.teamName} withdrew this invitation, so it can no longer be accepted or declined.`),
          h("p", null, "If you expected to join, ask them to invite you again."),
          details(preview),
        );
      case "accepted":
        return page(
          "This invitation was already accepted",
          h("p", null, `It has been accepted: ${preview.email} is a member of ${preview.teamName}.`),
          session() ? h("p", null, teamLink()) : null,
          details(preview),
        );
      case "declined":
        return page(
          "This invitation was declined",
          h("p", null, "It was declined, so it can no longer be accepted."),
          h("p", null, `If you changed your mind, ask someone at ${preview.teamName} to invite you again.`),
          details(preview),
        );
    }
  }

  function teamLink(): HTMLElement {
    return h("a", { href: `/teams/${encodeURIComponent(preview.teamId)}` }, `Go to ${preview.teamName}`);
  }

  function open(message?: HTMLElement): void {
    const s = session();
    const acceptButton = h("button", { type: "button", class: "button", onclick: () => void onAccept() }, "Accept invitation");
    const declineButton = h(
      "button",
      { type: "button", class: "button secondary", onclick: () => void onDecline() },
      "Decline",
    );
    page(
      `Join ${preview.teamName}`,
      message ?? null,
      h(
        "p",
        { class: "lead" },
        "You are invited to join ",
        h("strong", null, preview.teamName),
        " as ",
        h("strong", null, roleName(preview.role)),
        ".",
      ),
      details(preview),
      h(
        "p",
        { class: "hint", id: "accept-hint" },
        s
          ? `You are signed in as ${s.email}. Accepting makes this account a member of ${preview.teamName}.`
          : `To accept, you will be asked to sign in as ${preview.email}. Declining needs no sign-in.`,
      ),
      h("div", { class: "actions" }, acceptButton, declineButton),
    );
    acceptButton.setAttribute("aria-describedby", "accept-hint");
  }

  async function onAccept(): Promise<void> {
    if (!session()) {
      sessionStorage.setItem(INTENT, JSON.stringify({ action: "accept", id } satisfies Intent));
      await signIn(here, { loginHint: preview.email });
      return;
    }
    await accept();
  }

  async function accept(): Promise<void> {
    page("Accepting…", h("p", { role: "status" }, `Accepting the invitation to join ${preview.teamName}…`));
    const r = await api.accept(id, token);
    if (r.ok) {
      const m = r.data.membership;
      return page(
        `Welcome to ${preview.teamName}`,
        h(
          "p",
          { class: "notice notice-success", role: "status" },
          `You accepted the invitation: ${m.email} is now a member of ${preview.teamName} as ${roleName(m.role)}.`,
        ),
        h("p", null, teamLink()),
      );
    }
    const p = r.problem;
    switch (p.code) {
      case "email_mismatch":
        return mismatch();
      case "already_member":
        return page(
          `You're already in ${preview.teamName}`,
          h(
            "p",
            { class: "notice", role: "status" },
            `${session()?.email ?? "This account"} is already a member of ${preview.teamName}, so there is nothing to accept. The invitation stays open.`,
          ),
          h("p", null, teamLink()),
        );
      case "invitation_not_open":
      case "invitation_expired":
      case "not_found":
        return refresh(p);
      case "unauthenticated":
        return open(alert("Your session has ended. Press Accept invitation to sign in again."));
      default:
        return open(alert(`The invitation could not be accepted: ${p.detail}`));
    }
  }

  function mismatch(): void {
    const s = session();
    const sameAddress = s && s.email.toLowerCase() === preview.email.toLowerCase();
    const again = h(
      "button",
      {
        type: "button",
        class: "button",
        onclick: () => {
          forgetSession();
          sessionStorage.setItem(INTENT, JSON.stringify({ action: "accept", id } satisfies Intent));
          void signIn(here, { loginHint: preview.email, forceLogin: true });
        },
      },
      `Sign in as ${preview.email}`,
    );
    page(
      "This invitation is for someone else",
      alert(
        sameAddress
          ? `You are signed in as ${s.email}, but your sign-in provider has not verified that address, so the invitation cannot be accepted with this account. Verify the address with your provider, then try again.`
          : `This invitation was sent to ${preview.email}, and only that address can accept it. You are signed in as ${s?.email ?? "another account"}.`,
      ),
      h("p", null, `The invitation is still open: sign in as ${preview.email} to accept it.`),
      h("div", { class: "actions" }, again),
      details(preview),
    );
  }

  /** The invitation changed under us (answered, withdrawn, expired, gone): show what it is now. */
  async function refresh(p: Problem): Promise<void> {
    const again = await api.preview(id, token);
    if (again.ok) {
      preview = again.data;
      if (preview.status !== "open") return show(preview.status);
    }
    if (p.code === "invitation_expired") return show("expired");
    if (p.code === "invitation_not_open" && p.invitationStatus) return show(p.invitationStatus);
    return invalid();
  }

  async function onDecline(): Promise<void> {
    const sure = await confirmDialog({
      title: "Decline this invitation?",
      body: `${preview.teamName} will see that you declined, and the link will stop working.`,
      confirm: "Decline invitation",
      cancel: "Keep invitation",
    });
    if (!sure) return;
    const r = await api.decline(id, token);
    if (r.ok) {
      return page(
        "Invitation declined",
        h(
          "p",
          { class: "notice", role: "status" },
          `You declined the invitation to join ${preview.teamName}. ${preview.teamName} will see it as declined.`,
        ),
        h("p", null, "You can close this page."),
      );
    }
    if (["invitation_not_open", "invitation_expired", "not_found"].includes(r.problem.code)) return refresh(r.problem);
    open(alert(`The invitation could not be declined: ${r.problem.detail}`));
  }

  function invalid(): void {
    page(
      "This link is not valid",
      h(
        "p",
        null,
        "The invitation link is incomplete or has been changed, or the invitation does not exist. This can happen when a link is copied only in part.",
      ),
      h(
        "p",
        null,
        "Open the link again from the invitation email, or ask the person who invited you to copy the link again from their team's page.",
      ),
    );
  }

  function trouble(p: Problem): void {
    page(
      "The invitation could not be loaded",
      alert(p.detail),
      h("p", null, h("a", { href: here }, "Try again")),
    );
  }
}

function alert(text: string): HTMLElement {
  return h("p", { class: "notice notice-error", role: "alert" }, text);
}

function takeIntent(): Intent | null {
  const raw = sessionStorage.getItem(INTENT);
  sessionStorage.removeItem(INTENT);
  try {
    return raw ? (JSON.parse(raw) as Intent) : null;
  } catch {
    return null;
  }
}
