// The documented API (docs/openapi.yaml), and nothing else. Every call that needs
// identity sends the signed-in user's ID token as a bearer token.

import { config } from "./config";
import { forgetSession, session } from "./auth";

export type Status = "open" | "expired" | "accepted" | "declined" | "withdrawn";

export interface Preview {
  id: string;
  teamId: string;
  teamName: string;
  email: string;
  role: string;
  status: Status;
  createdAt: string;
  expiresAt: string;
  /** BCP 47: the language of its email, and of the page its link opens. */
  locale?: string;
  /** Who invited, as the email named them (absent on old invitations). */
  invitedByEmail?: string;
  /** The inviter's personal note, where there is one. */
  note?: string;
}

/**
 * What became of the invitation's email: `pending` (not sent yet), `sent` (SES
 * took it), `failed` (SES did not send it), and then SES's reports: `delayed`
 * (delivery is being retried), `delivered` (the recipient's mail server accepted
 * it), `bounced` (see `BounceType`), `complained` (the recipient marked it as spam).
 * A report never moves it back (a delivery reported after a bounce changes nothing).
 */
export type EmailDelivery = "pending" | "sent" | "failed" | "delayed" | "delivered" | "bounced" | "complained";

/** With `bounced`: `permanent` (the address is wrong or refuses mail; sending again
 * will not help), `transient` or `undetermined` (it could not be delivered for now). */
export type BounceType = "permanent" | "transient" | "undetermined";

export interface Invitation extends Preview {
  invitedBy: string;
  emailDelivery: EmailDelivery;
  /** Only when `emailDelivery` is `bounced`. */
  bounceType?: BounceType;
  acceptedAt?: string;
  acceptedBy?: string;
  declinedAt?: string;
  /** null when the link's holder declined without signing in. */
  declinedBy?: string | null;
  withdrawnAt?: string;
  withdrawnBy?: string;
  /** Only for callers holding members.manage, only while open. */
  link?: string;
  linkToken?: string;
  /** What the caller may do with it now ("withdraw", "copyLink"); absent from APIs that predate it. */
  actions?: string[];
}

export type HistoryType =
  | "invitation.created"
  | "invitation.resent"
  | "invitation.accepted"
  | "invitation.declined"
  | "invitation.withdrawn"
  | "invitation.reminded"
  | "invitation.delivery_changed";

/** One change to an invitation (GET .../history), oldest first. */
export interface HistoryEntry {
  type: HistoryType;
  at: string;
  /** A user id; null for a reminder, the email's fate and anonymous declines. */
  actor: string | null;
  /** Only on `invitation.delivery_changed`. */
  emailDelivery?: EmailDelivery;
  bounceType?: BounceType;
}

export interface Page {
  invitations: Invitation[];
  nextCursor: string | null;
}

export interface TeamRole {
  name: string;
  permissions: string[];
  /** Whether the caller may invite someone into this role. */
  grantable: boolean;
  /** Whether the caller may give this role to a member, or take it from one (a role change). */
  assignable: boolean;
}

export interface Withdrawn {
  id: string;
  teamId: string;
  status: "withdrawn";
  withdrawnBy: string;
  withdrawnAt: string;
}

/** A team's seat limit and what takes its seats (managers, when the team has one). */
export interface Seats {
  limit: number;
  members: number;
  openInvitations: number;
  free: number;
}

export interface Membership {
  teamId: string;
  userId: string;
  email: string;
  role: string;
  joinedAt: string;
}

/** Where an invite link stands now. */
export type LinkState = "active" | "expired" | "usedUp" | "revoked";

/** An invite link as its team's managers see it (GET /teams/{teamId}/invite-links). */
export interface InviteLink {
  id: string;
  teamId: string;
  role: string;
  state: LinkState;
  createdBy: string;
  createdByEmail: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  /** The only email domains whose addresses may join through it; empty: any. */
  domains: string[];
  /** Each join waits for a manager's approval (a join request). */
  approval: boolean;
  revokedAt: string | null;
  revokedBy: string | null;
  /** The first 50 who joined through it. */
  joined: { userId: string; email: string; joinedAt: string }[];
  /** "revoke" while it is not revoked. */
  actions: string[];
}

/** What the signed-in holder of an invite link sees. */
export interface InviteLinkPreview {
  id: string;
  teamId: string;
  teamName: string;
  role: string;
  createdByEmail: string;
  expiresAt: string;
  state: LinkState;
  /** Joining asks a manager first. */
  approval: boolean;
  alreadyMember: boolean;
}

export type RequestStatus = "pending" | "expired" | "approved" | "denied" | "cancelled";

/** A request to join a team through a link, or a verified domain, that needs approval. */
export interface JoinRequest {
  teamId: string;
  teamName: string;
  userId: string;
  email: string;
  role: string;
  /** The link asked through; null for a request through a verified domain. */
  linkId: string | null;
  /** The team's verified domain asked through; null for one through a link. */
  domain: string | null;
  status: RequestStatus;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

/** A request to accept an invitation as another address, with both addresses. */
export interface AcceptRequest {
  invitationId: string;
  teamId: string;
  teamName: string;
  role: string;
  invitedEmail: string;
  userId: string;
  email: string;
  status: "pending" | "expired" | "approved" | "denied";
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

/** A team whose verified domain is the signed-in person's address's. */
export interface JoinableTeam {
  teamId: string;
  teamName: string;
  domain: string;
  role: string;
  /** Joining asks a manager first. */
  approval: boolean;
  verifiedAt: string;
  member: boolean;
  pendingRequest: JoinRequest | null;
}

/** An RFC 9457 problem; `code` is the API's stable code, or one of ours below. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  invitationStatus?: Status;
  errors?: { field: string; message: string }[];
  /** Seconds, from a Retry-After header (429 resend_too_soon and rate_limited, 503). */
  retryAfter?: number;
  /** With rate_limited: which limit was reached (the team's, or the address's per day). */
  limit?: "openInvitations" | "emailsPerHour" | "emailsPerRecipientPerDay";
  /** With resend_limit_reached: how many emails one invitation sends. */
  maxSends?: number;
  /** With recipient_unreachable: what happened to the last email. */
  reason?: "bounced" | "complained";
  /** With link_not_active: what the invite link is now. */
  linkState?: LinkState;
  /** With join_request_not_pending: what the request is now. */
  requestStatus?: RequestStatus;
}

export type Result<T> = { ok: true; status: number; data: T } | { ok: false; status: number; problem: Problem };

interface CallOptions {
  auth?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
}

async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<Result<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) {
    const s = session();
    if (!s) return { ok: false, status: 401, problem: signInProblem() };
    headers.Authorization = `Bearer ${s.idToken}`;
  }
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(config().api + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      problem: {
        status: 0,
        code: "network",
        title: "No answer",
        detail: "The service could not be reached. Check your connection and try again.",
      },
    };
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const p = (body ?? {}) as Partial<Problem> & { message?: string; retryAfterSeconds?: number };
  if (res.status === 401) {
    // The gateway's own answer to a missing, expired or refused token.
    forgetSession();
    return { ok: false, status: 401, problem: signInProblem() };
  }
  const retry = res.headers.get("Retry-After");
  return {
    ok: false,
    status: res.status,
    problem: {
      status: res.status,
      code: p.code ?? (res.status === 429 ? "throttled" : "unexpected"),
      title: p.title ?? p.message ?? `HTTP ${res.status}`,
      detail:
        p.detail ??
        (res.status === 429
          ? "Too many requests right now. Wait a moment and try again."
          : `The service answered HTTP ${res.status}.`) + (retry ? ` (retry after ${retry} s)` : ""),
      invitationStatus: p.invitationStatus,
      errors: p.errors,
      limit: p.limit,
      linkState: p.linkState,
      requestStatus: p.requestStatus,
      retryAfter:
        retry && /^\d+$/.test(retry)
          ? Number(retry)
          : typeof p.retryAfterSeconds === "number"
            ? p.retryAfterSeconds
            : undefined,
    },
  };
}

function signInProblem(): Problem {
  return {
    status: 401,
    code: "unauthenticated",
    title: "Sign-in needed",
    detail: "Your session has ended. Please sign in again.",
  };
}

const seg = encodeURIComponent;

export const api = {
  list(teamId: string, q: { status?: string; limit?: number; cursor?: string }): Promise<Result<Page>> {
    const params = new URLSearchParams();
    if (q.status) params.set("status", q.status);
    if (q.limit) params.set("limit", String(q.limit));
    if (q.cursor) params.set("cursor", q.cursor);
    const qs = params.toString();
    return call("GET", `/teams/${seg(teamId)}/invitations${qs ? `?${qs}` : ""}`, { auth: true });
  },
  invite(
    teamId: string,
    email: string,
    role: string,
    opts: { locale?: string; expiresInDays?: number; note?: string } = {},
  ): Promise<Result<Invitation>> {
    // Only what was chosen: the API's defaults stand for the rest.
    const body = Object.fromEntries(Object.entries({ email, role, ...opts }).filter(([, v]) => v !== undefined && v !== ""));
    return call("POST", `/teams/${seg(teamId)}/invitations`, { auth: true, body });
  },
  roles(teamId: string): Promise<Result<{ roles: TeamRole[] }>> {
    return call("GET", `/teams/${seg(teamId)}/roles`, { auth: true });
  },
  resend(teamId: string, id: string): Promise<Result<Invitation>> {
    return call("POST", `/teams/${seg(teamId)}/invitations/${seg(id)}/resend`, { auth: true });
  },
  /** An invitation's changes, oldest first (members.manage only: 403 otherwise). */
  history(teamId: string, id: string): Promise<Result<{ history: HistoryEntry[] }>> {
    return call("GET", `/teams/${seg(teamId)}/invitations/${seg(id)}/history`, { auth: true });
  },
  withdraw(teamId: string, id: string): Promise<Result<Withdrawn>> {
    return call("POST", `/teams/${seg(teamId)}/invitations/${seg(id)}/withdraw`, { auth: true });
  },
  members(teamId: string, q: { limit?: number; cursor?: string }): Promise<Result<{ members: Membership[]; nextCursor: string | null; seats?: Seats | null }>> {
    const params = new URLSearchParams();
    if (q.limit) params.set("limit", String(q.limit));
    if (q.cursor) params.set("cursor", q.cursor);
    const qs = params.toString();
    return call("GET", `/teams/${seg(teamId)}/members${qs ? `?${qs}` : ""}`, { auth: true });
  },
  removeMember(teamId: string, userId: string): Promise<Result<Membership & { removedBy: string; removedAt: string; invitationsWithdrawn: number }>> {
    return call("DELETE", `/teams/${seg(teamId)}/members/${seg(userId)}`, { auth: true });
  },
  changeRole(teamId: string, userId: string, role: string): Promise<Result<Membership & { previousRole: string; invitationsWithdrawn: number }>> {
    return call("PATCH", `/teams/${seg(teamId)}/members/${seg(userId)}`, { auth: true, body: { role } });
  },
  myInvitations(q: { limit?: number; cursor?: string }): Promise<Result<{ invitations: Preview[]; nextCursor: string | null }>> {
    const params = new URLSearchParams();
    if (q.limit) params.set("limit", String(q.limit));
    if (q.cursor) params.set("cursor", q.cursor);
    const qs = params.toString();
    return call("GET", `/me/invitations${qs ? `?${qs}` : ""}`, { auth: true });
  },
  /** Accepts one of the caller's own invitations (GET /me/invitations) without the link: body {}. */
  acceptMine(id: string): Promise<Result<{ invitation: Invitation; membership: Membership }>> {
    return call("POST", `/invitations/${seg(id)}/accept`, { auth: true, body: {} });
  },
  /** The token goes in a header: a URL's query is logged by whatever sits in front of the API. */
  preview(id: string, token: string): Promise<Result<Preview>> {
    return call("GET", `/invitations/${seg(id)}`, { headers: { "Invitation-Token": token } });
  },
  accept(id: string, token: string): Promise<Result<{ invitation: Invitation; membership: Membership }>> {
    return call("POST", `/invitations/${seg(id)}/accept`, { auth: true, body: { token } });
  },
  decline(id: string, token: string): Promise<Result<Preview & { declinedAt: string }>> {
    return call("POST", `/invitations/${seg(id)}/decline`, { body: { token } });
  },
  /** A new invite link: its `url` is shown in this answer only. */
  createLink(
    teamId: string,
    body: { role: string; maxUses: number; expiresInDays?: number; domains?: string[]; approval?: boolean },
  ): Promise<Result<InviteLink & { url: string; token: string }>> {
    return call("POST", `/teams/${seg(teamId)}/invite-links`, { auth: true, body });
  },
  links(teamId: string): Promise<Result<{ links: InviteLink[] }>> {
    return call("GET", `/teams/${seg(teamId)}/invite-links`, { auth: true });
  },
  revokeLink(
    teamId: string,
    linkId: string,
    endMemberships: boolean,
  ): Promise<Result<{ link: InviteLink; membershipsEnded: number; membershipsKept: number }>> {
    return call("POST", `/teams/${seg(teamId)}/invite-links/${seg(linkId)}/revoke`, { auth: true, body: { endMemberships } });
  },
  /** The token goes in a header, as an invitation's does. */
  previewLink(teamId: string, linkId: string, token: string): Promise<Result<InviteLinkPreview>> {
    return call("GET", `/invite-links/${seg(teamId)}/${seg(linkId)}`, { auth: true, headers: { "Invite-Link-Token": token } });
  },
  /** 201 with the membership, or 202 with the request when the link needs approval. */
  joinLink(teamId: string, linkId: string, token: string): Promise<Result<{ membership?: Membership; request?: JoinRequest }>> {
    return call("POST", `/invite-links/${seg(teamId)}/${seg(linkId)}/join`, { auth: true, body: { token } });
  },
  joinRequests(teamId: string): Promise<Result<{ requests: JoinRequest[] }>> {
    return call("GET", `/teams/${seg(teamId)}/join-requests`, { auth: true });
  },
  answerJoinRequest(teamId: string, userId: string, answer: "approve" | "deny"): Promise<Result<JoinRequest>> {
    return call("POST", `/teams/${seg(teamId)}/join-requests/${seg(userId)}/${answer}`, { auth: true });
  },
  myJoinRequests(): Promise<Result<{ requests: JoinRequest[] }>> {
    return call("GET", "/me/join-requests", { auth: true });
  },
  cancelJoinRequest(teamId: string): Promise<Result<JoinRequest>> {
    return call("POST", `/me/join-requests/${seg(teamId)}/cancel`, { auth: true });
  },
  /** Asks the team to let the signed-in account accept invitation `id` (another address). */
  requestAccept(id: string, token: string): Promise<Result<AcceptRequest>> {
    return call("POST", `/invitations/${seg(id)}/accept-requests`, { auth: true, body: { token } });
  },
  acceptRequests(teamId: string): Promise<Result<{ requests: AcceptRequest[] }>> {
    return call("GET", `/teams/${seg(teamId)}/accept-requests`, { auth: true });
  },
  answerAcceptRequest(teamId: string, invitationId: string, answer: "approve" | "refuse"): Promise<Result<AcceptRequest>> {
    return call("POST", `/teams/${seg(teamId)}/accept-requests/${seg(invitationId)}/${answer}`, { auth: true });
  },
  joinableTeams(): Promise<Result<{ addressCounts: boolean; teams: JoinableTeam[] }>> {
    return call("GET", "/me/joinable-teams", { auth: true });
  },
  /** 201 with the membership, or 202 with the request when the team wants approval. */
  joinByDomain(teamId: string): Promise<Result<{ membership?: Membership; request?: JoinRequest }>> {
    return call("POST", `/me/joinable-teams/${seg(teamId)}/join`, { auth: true });
  },
};
