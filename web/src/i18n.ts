// The invitation page speaks the invitation's language (its `locale`, the one its
// email was written in): English and German, English for any other. Every message
// exists in both (the type says so, and tests/0-messages.spec.ts checks it at run
// time too); a message with blanks is a function of them. No DOM here, so the
// tests can import it.

export type Lang = "en" | "de";
export const LANGS: Lang[] = ["en", "de"];

/** The language for a BCP 47 tag: "de", "de-AT", "de_CH" speak German; anything else English. */
export function langOf(tag: string | null | undefined): Lang {
  const primary = (tag ?? "").trim().toLowerCase().split(/[-_]/)[0];
  return primary === "de" ? "de" : "en";
}

/** The browser's preferred language among ours (for pages without an invitation to go by). */
export function browserLang(): Lang {
  const tags = typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]);
  for (const tag of tags) {
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    if (primary === "de" || primary === "en") return primary;
  }
  return "en";
}

const en = {
  // The header, on the invitation page.
  skipToContent: "Skip to content",
  signIn: "Sign in",
  signOut: "Sign out",
  signedInAs: "Signed in as",
  myInvitations: "My invitations",

  loading: "Loading the invitation…",
  team: "Team",
  role: "Role",
  invitedAddress: "Invited address",
  invitedBy: "Invited by",
  noteFrom: (who: string) => `A note from ${who}:`,
  theInviter: "the person who invited you",
  sent: "Sent",
  expires: "Expires",
  expired: "Expired",
  roleOwner: "Owner",
  roleAdministrator: "Administrator",
  roleMember: "Member",

  joinTitle: (team: string) => `Join ${team}`,
  invitedLead: ["You are invited to join ", " as ", "."] as [string, string, string],
  hintSignedIn: (email: string, team: string) =>
    `You are signed in as ${email}. Accepting makes this account a member of ${team}.`,
  hintSignedOut: (email: string) => `To accept, you will be asked to sign in as ${email}. Declining needs no sign-in.`,
  accept: "Accept invitation",
  decline: "Decline",

  expiredTitle: "This invitation has expired",
  expiredBody: (date: string) => `It expired on ${date}, so it can no longer be accepted or declined.`,
  expiredNext: (team: string) => `Ask someone at ${team} to send you a new invitation.`,
  withdrawnTitle: "This invitation was withdrawn",
  withdrawnBody: (team: string) => `${team} withdrew this invitation, so it can no longer be accepted or declined.`,
  withdrawnNext: "If you expected to join, ask them to invite you again.",
  acceptedTitle: "This invitation was already accepted",
  acceptedBody: (email: string, team: string) => `It has been accepted: ${email} is a member of ${team}.`,
  declinedTitle: "This invitation was declined",
  declinedBody: "It was declined, so it can no longer be accepted.",
  declinedNext: (team: string) => `If you changed your mind, ask someone at ${team} to invite you again.`,
  goToTeam: (team: string) => `Go to ${team}`,

  acceptingTitle: "Accepting…",
  accepting: (team: string) => `Accepting the invitation to join ${team}…`,
  welcomeTitle: (team: string) => `Welcome to ${team}`,
  welcome: (email: string, team: string, role: string) =>
    `You accepted the invitation: ${email} is now a member of ${team} as ${role}.`,
  alreadyMemberTitle: (team: string) => `You're already in ${team}`,
  alreadyMember: (who: string, team: string) =>
    `${who} is already a member of ${team}, so there is nothing to accept. The invitation stays open.`,
  thisAccount: "This account",
  sessionEnded: "Your session has ended. Press Accept invitation to sign in again.",
  acceptFailed: (detail: string) => `The invitation could not be accepted: ${detail}`,
  noSeatTitle: (team: string) => `${team} has no free seat`,
  noSeat: (team: string) =>
    `Every seat of ${team} is taken by its members, so you cannot join right now. Ask someone there to free a seat, then accept again: the invitation stays open.`,

  mismatchTitle: "This invitation is for someone else",
  mismatchUnverified: (email: string) =>
    `You are signed in as ${email}, but your sign-in provider has not verified that address, so the invitation cannot be accepted with this account. Verify the address with your provider, then try again.`,
  mismatch: (invited: string, signedIn: string) =>
    `This invitation was sent to ${invited}, and only that address can accept it. You are signed in as ${signedIn}.`,
  anotherAccount: "another account",
  mismatchStillOpen: (email: string) => `The invitation is still open: sign in as ${email} to accept it.`,
  signInAs: (email: string) => `Sign in as ${email}`,
  askConsent: (email: string) => `Ask the team to let ${email} accept`,
  askConsentHint: (team: string) =>
    `If ${team} invited you at another address of yours, a manager of ${team} can let this account accept instead: they will see both addresses.`,
  askedConsent: (team: string, email: string) =>
    `Asked. When a manager of ${team} approves, you join as ${email}; until then the invitation stays open.`,
  askConsentPending: "Someone asked already to accept this invitation with another address; a manager has not answered yet.",
  askConsentFailed: (detail: string) => `The request was not sent: ${detail}`,

  declineDialogTitle: "Decline this invitation?",
  declineDialogBody: (team: string) => `${team} will see that you declined, and the link will stop working.`,
  declineConfirm: "Decline invitation",
  declineCancel: "Keep invitation",
  declinedDoneTitle: "Invitation declined",
  declinedDone: (team: string) => `You declined the invitation to join ${team}. ${team} will see it as declined.`,
  closePage: "You can close this page.",
  declineFailed: (detail: string) => `The invitation could not be declined: ${detail}`,

  invalidTitle: "This link is not valid",
  invalidBody:
    "The invitation link is incomplete or has been changed, or the invitation does not exist. This can happen when a link is copied only in part.",
  invalidNext:
    "Open the link again from the invitation email, or ask the person who invited you to copy the link again from their team's page.",
  troubleTitle: "The invitation could not be loaded",
  tryAgain: "Try again",
  busyTitle: "Invitation pages are busy right now",
  busyBody:
    "Too many invitation links are being opened at the moment, so this one cannot be shown now. Your invitation is not lost.",
  busyNext:
    "Sign in with the address the invitation was sent to: your invitations are listed there, and you can accept this one from the list.",
  busySignIn: "Sign in and see my invitations",
  busyMine: "See my invitations",
  busyRetry: "Or try this link again in a minute.",
};

export type Messages = typeof en;

const de: Messages = {
  skipToContent: "Zum Inhalt springen",
  signIn: "Anmelden",
  signOut: "Abmelden",
  signedInAs: "Angemeldet als",
  myInvitations: "Meine Einladungen",

  loading: "Die Einladung wird geladen…",
  team: "Team",
  role: "Rolle",
  invitedAddress: "Eingeladene Adresse",
  invitedBy: "Eingeladen von",
  noteFrom: (who) => `Eine Nachricht von ${who}:`,
  theInviter: "der Person, die Sie eingeladen hat",
  sent: "Gesendet",
  expires: "Gültig bis",
  expired: "Abgelaufen",
  roleOwner: "Inhaber",
  roleAdministrator: "Administrator",
  roleMember: "Mitglied",

  joinTitle: (team) => `${team} beitreten`,
  invitedLead: ["Sie sind eingeladen, ", " als ", " beizutreten."],
  hintSignedIn: (email, team) =>
    `Sie sind als ${email} angemeldet. Wenn Sie annehmen, wird dieses Konto Mitglied von ${team}.`,
  hintSignedOut: (email) =>
    `Zum Annehmen werden Sie gebeten, sich als ${email} anzumelden. Zum Ablehnen ist keine Anmeldung nötig.`,
  accept: "Einladung annehmen",
  decline: "Ablehnen",

  expiredTitle: "Diese Einladung ist abgelaufen",
  expiredBody: (date) => `Sie ist am ${date} abgelaufen und kann nicht mehr angenommen oder abgelehnt werden.`,
  expiredNext: (team) => `Bitten Sie jemanden bei ${team}, Ihnen eine neue Einladung zu senden.`,
  withdrawnTitle: "Diese Einladung wurde zurückgezogen",
  withdrawnBody: (team) =>
    `${team} hat diese Einladung zurückgezogen; sie kann nicht mehr angenommen oder abgelehnt werden.`,
  withdrawnNext: "Wenn Sie beitreten wollten, bitten Sie darum, erneut eingeladen zu werden.",
  acceptedTitle: "Diese Einladung wurde bereits angenommen",
  acceptedBody: (email, team) => `Sie wurde angenommen: ${email} ist Mitglied von ${team}.`,
  declinedTitle: "Diese Einladung wurde abgelehnt",
  declinedBody: "Sie wurde abgelehnt und kann nicht mehr angenommen werden.",
  declinedNext: (team) => `Wenn Sie es sich anders überlegt haben, bitten Sie jemanden bei ${team}, Sie erneut einzuladen.`,
  goToTeam: (team) => `Zu ${team}`,

  acceptingTitle: "Wird angenommen…",
  accepting: (team) => `Die Einladung zu ${team} wird angenommen…`,
  welcomeTitle: (team) => `Willkommen bei ${team}`,
  welcome: (email, team, role) =>
    `Sie haben die Einladung angenommen: ${email} ist jetzt Mitglied von ${team} als ${role}.`,
  alreadyMemberTitle: (team) => `Sie sind bereits bei ${team}`,
  alreadyMember: (who, team) =>
    `${who} ist bereits Mitglied von ${team}; es gibt nichts anzunehmen. Die Einladung bleibt offen.`,
  thisAccount: "Dieses Konto",
  sessionEnded: "Ihre Sitzung ist abgelaufen. Wählen Sie „Einladung annehmen“, um sich erneut anzumelden.",
  acceptFailed: (detail) => `Die Einladung konnte nicht angenommen werden: ${detail}`,
  noSeatTitle: (team) => `${team} hat keinen freien Platz`,
  noSeat: (team) =>
    `Alle Plätze von ${team} sind von Mitgliedern belegt, daher können Sie gerade nicht beitreten. Bitten Sie dort jemanden, einen Platz freizugeben, und nehmen Sie dann erneut an: Die Einladung bleibt offen.`,

  mismatchTitle: "Diese Einladung ist für jemand anderen",
  mismatchUnverified: (email) =>
    `Sie sind als ${email} angemeldet, aber Ihr Anmeldedienst hat diese Adresse nicht bestätigt; mit diesem Konto kann die Einladung nicht angenommen werden. Bestätigen Sie die Adresse bei Ihrem Anmeldedienst und versuchen Sie es erneut.`,
  mismatch: (invited, signedIn) =>
    `Diese Einladung ging an ${invited}, und nur diese Adresse kann sie annehmen. Sie sind als ${signedIn} angemeldet.`,
  anotherAccount: "einem anderen Konto",
  mismatchStillOpen: (email) => `Die Einladung ist weiterhin offen: Melden Sie sich als ${email} an, um sie anzunehmen.`,
  signInAs: (email) => `Als ${email} anmelden`,
  askConsent: (email) => `Das Team bitten, ${email} annehmen zu lassen`,
  askConsentHint: (team) =>
    `Wenn ${team} Sie unter einer anderen Ihrer Adressen eingeladen hat, kann eine verwaltende Person von ${team} stattdessen dieses Konto annehmen lassen; sie sieht beide Adressen.`,
  askedConsent: (team, email) =>
    `Angefragt. Sobald eine verwaltende Person von ${team} zustimmt, treten Sie als ${email} bei; bis dahin bleibt die Einladung offen.`,
  askConsentPending: "Jemand hat bereits gebeten, diese Einladung mit einer anderen Adresse anzunehmen; noch hat niemand geantwortet.",
  askConsentFailed: (detail) => `Die Anfrage wurde nicht gesendet: ${detail}`,

  declineDialogTitle: "Diese Einladung ablehnen?",
  declineDialogBody: (team) => `${team} sieht, dass Sie abgelehnt haben, und der Link funktioniert dann nicht mehr.`,
  declineConfirm: "Einladung ablehnen",
  declineCancel: "Einladung behalten",
  declinedDoneTitle: "Einladung abgelehnt",
  declinedDone: (team) => `Sie haben die Einladung zu ${team} abgelehnt. ${team} sieht sie als abgelehnt.`,
  closePage: "Sie können diese Seite schließen.",
  declineFailed: (detail) => `Die Einladung konnte nicht abgelehnt werden: ${detail}`,

  invalidTitle: "Dieser Link ist ungültig",
  invalidBody:
    "Der Einladungslink ist unvollständig oder wurde verändert, oder die Einladung existiert nicht. Das kann passieren, wenn ein Link nur teilweise kopiert wurde.",
  invalidNext:
    "Öffnen Sie den Link erneut aus der Einladungs-E-Mail, oder bitten Sie die Person, die Sie eingeladen hat, den Link auf der Seite ihres Teams erneut zu kopieren.",
  troubleTitle: "Die Einladung konnte nicht geladen werden",
  tryAgain: "Erneut versuchen",
  busyTitle: "Einladungsseiten sind gerade ausgelastet",
  busyBody:
    "Gerade werden zu viele Einladungslinks geöffnet, deshalb kann dieser jetzt nicht angezeigt werden. Ihre Einladung ist nicht verloren.",
  busyNext:
    "Melden Sie sich mit der Adresse an, an die die Einladung ging: Dort sind Ihre Einladungen aufgelistet, und Sie können diese aus der Liste annehmen.",
  busySignIn: "Anmelden und meine Einladungen sehen",
  busyMine: "Meine Einladungen sehen",
  busyRetry: "Oder versuchen Sie diesen Link in einer Minute erneut.",
};

export const MESSAGES: Record<Lang, Messages> = { en, de };

export function messages(lang: Lang): Messages {
  return MESSAGES[lang];
}

/** A role's name in the language; a role the catalog does not name here, as the API spells it. */
export function roleIn(lang: Lang, role: string): string {
  const m = MESSAGES[lang];
  return ({ owner: m.roleOwner, administrator: m.roleAdministrator, member: m.roleMember } as Record<string, string>)[role] ?? role;
}
