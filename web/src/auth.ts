// Sign-in: the OpenID Connect authorization-code flow with PKCE (RFC 7636), a
// public client (no secret in the browser). The identity provider's own sign-in
// page (Cognito's managed login / hosted UI, or any OIDC provider) asks for the
// password; this app never sees it. The ID token (what the API's JWT authorizer
// checks: `iss`, `aud`, and the `email` and `email_verified` claims) is kept in
// sessionStorage, so it lives as long as the tab and is gone with it.

import { config } from "./config";

const PENDING = "invitations.auth.pending";
const SESSION = "invitations.auth.session";
export const CALLBACK_PATH = "/auth/callback";
/** Where the provider's sign-out returns to (register it as the client's sign-out URL). */
export const SIGNED_OUT_PATH = "/signed-out";

export interface Session {
  idToken: string;
  email: string;
  emailVerified: boolean;
  /** Seconds since the epoch. */
  expiresAt: number;
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  return JSON.parse(json) as Record<string, unknown>;
}

function redirectUri(): string {
  return location.origin + CALLBACK_PATH;
}

/** The signed-in user, or null when there is none or the ID token has (nearly) expired. */
export function session(): Session | null {
  const raw = sessionStorage.getItem(SESSION);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.expiresAt - 30 > Date.now() / 1000) return s;
  } catch {
    // fall through: an unreadable session is no session
  }
  sessionStorage.removeItem(SESSION);
  return null;
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION);
}

export interface SignInOptions {
  /** Prefills the provider's form (OIDC login_hint; Cognito's managed login honours it). */
  loginHint?: string;
  /** Asks the provider to sign in again even if it remembers someone (OIDC prompt=login). */
  forceLogin?: boolean;
  /** The page's language, for the provider's page (OIDC ui_locales; a hint it may ignore). */
  uiLocales?: string;
}

/** Leaves for the identity provider's sign-in page; comes back to `returnTo`. */
export async function signIn(returnTo: string, opts: SignInOptions = {}): Promise<void> {
  const { oidc } = config();
  const pending: Pending = { state: random(), nonce: random(), verifier: random(48), returnTo };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(pending.verifier));
  const url = new URL(oidc.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: oidc.clientId,
    redirect_uri: redirectUri(),
    scope: oidc.scope ?? "openid email",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: "S256",
  };
  if (opts.loginHint) params.login_hint = opts.loginHint;
  if (opts.forceLogin) params.prompt = "login";
  if (opts.uiLocales && opts.uiLocales !== "en") params.ui_locales = opts.uiLocales;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** Completes the sign-in on CALLBACK_PATH: checks the state, trades the code for
 * tokens, checks the ID token's issuer, audience, nonce and expiry. Returns
 * where to go next. Throws with a message for the person on any failure. */
export async function completeSignIn(query: URLSearchParams): Promise<string> {
  const { oidc } = config();
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const pending = raw ? (JSON.parse(raw) as Pending) : null;
  if (query.get("error")) {
    throw new Error(`The sign-in did not complete (${query.get("error_description") || query.get("error")}).`);
  }
  if (!pending || !query.get("code") || query.get("state") !== pending.state) {
    throw new Error("This sign-in was not started here, or was already used. Please sign in again.");
  }
  let res: Response;
  try {
    res = await fetch(oidc.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: oidc.clientId,
        code: query.get("code") ?? "",
        redirect_uri: redirectUri(),
        code_verifier: pending.verifier,
      }),
    });
  } catch {
    throw new Error("The identity provider could not be reached. Check your connection and sign in again.");
  }
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string };
  if (!res.ok || !body.id_token) {
    throw new Error(`The identity provider refused the sign-in (${body.error ?? `HTTP ${res.status}`}).`);
  }
  const claims = decodeJwt(body.id_token);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== oidc.issuer || !aud.includes(oidc.clientId) || claims.nonce !== pending.nonce) {
    throw new Error("The identity provider answered with a token for another application. Please sign in again.");
  }
  const s: Session = {
    idToken: body.id_token,
    email: String(claims.email ?? ""),
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    expiresAt: Number(claims.exp ?? 0),
  };
  sessionStorage.setItem(SESSION, JSON.stringify(s));
  return pending.returnTo.startsWith("/") && !pending.returnTo.startsWith("//") ? pending.returnTo : "/";
}

/** Forgets the session here and, when the provider has a sign-out endpoint, there too. */
export function signOut(): void {
  forgetSession();
  const { oidc } = config();
  if (!oidc.endSessionEndpoint) {
    location.assign(SIGNED_OUT_PATH);
    return;
  }
  const back = location.origin + SIGNED_OUT_PATH;
  const url = new URL(oidc.endSessionEndpoint);
  // Cognito's /logout reads client_id and logout_uri; an OIDC end_session_endpoint
  // reads client_id and post_logout_redirect_uri. Each ignores the other's.
  url.searchParams.set("client_id", oidc.clientId);
  url.searchParams.set("logout_uri", back);
  url.searchParams.set("post_logout_redirect_uri", back);
  location.assign(url.toString());
}
