// /invitations/{id}#token=: the emailed link. Previews without sign-in; Accept asks
// the person to sign in (and comes back here to finish); Decline needs only the link.
// A wrong or tampered link, an unknown invitation and a malformed one all read as
// one "not valid" page, as the API makes them indistinguishable.

import { replaceAddress, type PageContext } from "../main";
import { api, type Preview, type Problem, type Status } from "../api";
import { forgetSession, session, signIn } from "../auth";
import { confirmDialog } from "../dialog";
import { append, h, replace } from "../dom";
import { when, whenText } from "../format";
import { browserLang, langOf, messages, roleIn, type Lang } from "../i18n";

const INTENT = "invitations.intent";

interface Intent {
  action: "accept";
  id: string;
}

/** The link's token. Links carry it in the fragment, which the browser never
 * sends to a server nor puts in a Referer; links sent before carried it in the
 * query, and such a token moves to the fragment at once, out of the address
 * that a reload or a shared link would send. */
function linkToken(query: URLSearchParams): string {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  const fromQuery = query.get("token");
  if (fromQuery !== null) {
    const token = fromFragment ?? fromQuery;
    replaceAddress(`${location.pathname}#token=${encodeURIComponent(token)}`);
    return token;
  }
  return fromFragment ?? "";
}

export async function invitationPage(ctx: PageContext): Promise<void> {
  const id = ctx.params.invitationId;
  const token = linkToken(ctx.query);
  // Back here after signing in: the token stays in the fragment, on this device.
  const here = location.pathname + (token ? `#token=${encodeURIComponent(token)}` : "");
  const main = ctx.main;

  // Until the invitation says which language it speaks, the browser's.
  let lang: Lang = browserLang();
  let t = messages(lang);
  ctx.setLanguage(lang);
  const loading = h("p", { role: "status" }, t.loading);
  append(main, [loading]);

  const res = token ? await api.preview(id, token) : null;
  if (!res || !res.ok) {
    // The anonymous routes share a throttle: one client can use it up, and then
    // every link answers 429. The person can still sign in and accept from
    // their own list, which those routes do not serve.
    if (res && res.status === 429) return busy();
    if (res && !["not_found", "invalid_request", "validation_failed"].includes(res.problem.code)) {
      return trouble(res.problem);
    }
    return invalid();
  }
  let preview = res.data;
  lang = langOf(preview.locale);
  t = messages(lang);
  ctx.setLanguage(lang);
  const locale = lang === "en" ? undefined : lang;
  const roleName = (role: string) => roleIn(lang, role);

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
      h("dt", null, t.team),
      h("dd", null, p.teamName),
      h("dt", null, t.role),
      h("dd", null, roleName(p.role)),
      h("dt", null, t.invitedAddress),
      h("dd", null, p.email),
      p.invitedByEmail ? [h("dt", null, t.invitedBy), h("dd", null, p.invitedByEmail)] : null,
      h("dt", null, t.sent),
      h("dd", null, when(p.createdAt, locale)),
      h("dt", null, p.status === "expired" ? t.expired : t.expires),
      h("dd", null, when(p.expiresAt, locale)),
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
          t.expiredTitle,
          h("p", null, t.expiredBody(whenText(preview.expiresAt, locale))),
          h("p", null, t.expiredNext(preview.teamName)),
          details(preview),
        );
      case "withdrawn":
        return page(t.withdrawnTitle, h("p", null, t.withdrawnBody(preview.teamName)), h("p", null, t.withdrawnNext), details(preview));
      case "accepted":
        return page(
          t.acceptedTitle,
          h("p", null, t.acceptedBody(preview.email, preview.teamName)),
          session() ? h("p", null, teamLink()) : null,
          details(preview),
        );
      case "declined":
        return page(
          t.declinedTitle,
          h("p", null, t.declinedBody),
          h("p", null, t.declinedNext(preview.teamName)),
          details(preview),
        );
    }
  }

  function teamLink(): HTMLElement {
    return h("a", { href: `/teams/${encodeURIComponent(preview.teamId)}` }, t.goToTeam(preview.teamName));
  }

  function open(message?: HTMLElement): void {
    const s = session();
    const acceptButton = h("button", { type: "button", class: "button", onclick: () => void onAccept() }, t.accept);
    const declineButton = h("button", { type: "button", class: "button secondary", onclick: () => void onDecline() }, t.decline);
    const [before, between, after] = t.invitedLead;
    page(
      t.joinTitle(preview.teamName),
      message ?? null,
      h(
        "p",
        { class: "lead" },
        before,
        h("strong", null, preview.teamName),
        between,
        h("strong", null, roleName(preview.role)),
        after,
      ),
      // The inviter's own words: text, never markup (h() sets text content).
      preview.note
        ? h(
            "figure",
            { class: "note" },
            h("figcaption", null, t.noteFrom(preview.invitedByEmail ?? t.theInviter)),
            h("blockquote", null, preview.note),
          )
        : null,
      details(preview),
      h(
        "p",
        { class: "hint", id: "accept-hint" },
        s ? t.hintSignedIn(s.email, preview.teamName) : t.hintSignedOut(preview.email),
      ),
      h("div", { class: "actions" }, acceptButton, declineButton),
    );
    acceptButton.setAttribute("aria-describedby", "accept-hint");
  }

  async function onAccept(): Promise<void> {
    if (!session()) {
      sessionStorage.setItem(INTENT, JSON.stringify({ action: "accept", id } satisfies Intent));
      await signIn(here, { loginHint: preview.email, uiLocales: lang });
      return;
    }
    await accept();
  }

  async function accept(): Promise<void> {
    page(t.acceptingTitle, h("p", { role: "status" }, t.accepting(preview.teamName)));
    const r = await api.accept(id, token);
    if (r.ok) {
      const m = r.data.membership;
      return page(
        t.welcomeTitle(preview.teamName),
        h("p", { class: "notice notice-success", role: "status" }, t.welcome(m.email, preview.teamName, roleName(m.role))),
        h("p", null, teamLink()),
      );
    }
    const p = r.problem;
    switch (p.code) {
      case "email_mismatch":
        return mismatch();
      case "already_member":
        return page(
          t.alreadyMemberTitle(preview.teamName),
          h("p", { class: "notice", role: "status" }, t.alreadyMember(session()?.email ?? t.thisAccount, preview.teamName)),
          h("p", null, teamLink()),
        );
      case "seat_limit":
        return page(
          t.noSeatTitle(preview.teamName),
          h("p", { class: "notice", role: "status" }, t.noSeat(preview.teamName)),
        );
      case "invitation_not_open":
      case "invitation_expired":
      case "not_found":
        return refresh(p);
      case "unauthenticated":
        return open(alert(t.sessionEnded));
      default:
        return open(alert(t.acceptFailed(p.detail)));
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
          void signIn(here, { loginHint: preview.email, forceLogin: true, uiLocales: lang });
        },
      },
      t.signInAs(preview.email),
    );
    // Signed in with another address: the team may let this account accept
    // (POST /invitations/{id}/accept-requests; the API checks it is verified).
    const consent = s && !sameAddress ? askConsent(s.email) : null;
    page(
      t.mismatchTitle,
      alert(sameAddress ? t.mismatchUnverified(s.email) : t.mismatch(preview.email, s?.email ?? t.anotherAccount)),
      h("p", null, t.mismatchStillOpen(preview.email)),
      h("div", { class: "actions" }, again),
      consent,
      details(preview),
    );
  }

  function askConsent(email: string): HTMLElement {
    const outcome = h("div", { class: "consent-outcome" });
    const button = h(
      "button",
      {
        type: "button",
        class: "button secondary",
        onclick: async () => {
          button.disabled = true;
          const r = await api.requestAccept(id, token);
          if (r.ok) {
            replace(outcome, h("p", { class: "notice", role: "status" }, t.askedConsent(preview.teamName, email)));
            button.remove();
          } else if (r.problem.code === "accept_request_pending") {
            replace(outcome, h("p", { class: "notice", role: "status" }, t.askConsentPending));
          } else {
            replace(outcome, alert(t.askConsentFailed(r.problem.detail)));
            button.disabled = false;
          }
        },
      },
      t.askConsent(email),
    );
    return h("section", { class: "consent", "aria-label": t.askConsent(email) }, h("p", null, t.askConsentHint(preview.teamName)), button, outcome);
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
      title: t.declineDialogTitle,
      body: t.declineDialogBody(preview.teamName),
      confirm: t.declineConfirm,
      cancel: t.declineCancel,
    });
    if (!sure) return;
    const r = await api.decline(id, token);
    if (r.ok) {
      return page(
        t.declinedDoneTitle,
        h("p", { class: "notice", role: "status" }, t.declinedDone(preview.teamName)),
        h("p", null, t.closePage),
      );
    }
    if (["invitation_not_open", "invitation_expired", "not_found"].includes(r.problem.code)) return refresh(r.problem);
    open(alert(t.declineFailed(r.problem.detail)));
  }

  function invalid(): void {
    page(t.invalidTitle, h("p", null, t.invalidBody), h("p", null, t.invalidNext));
  }

  function busy(): void {
    const signedIn = session() !== null;
    page(
      t.busyTitle,
      h("p", { class: "notice notice-error", role: "alert" }, t.busyBody),
      h("p", null, t.busyNext),
      h(
        "p",
        null,
        signedIn
          ? h("a", { class: "button", href: "/me/invitations" }, t.busyMine)
          : h("button", { type: "button", class: "button", onclick: () => void signIn("/me/invitations", { uiLocales: lang }) }, t.busySignIn),
      ),
      h("p", null, h("a", { href: here }, t.busyRetry)),
    );
  }

  function trouble(p: Problem): void {
    page(t.troubleTitle, alert(p.detail), h("p", null, h("a", { href: here }, t.tryAgain)));
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
