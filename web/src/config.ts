// Runtime configuration: /config.json next to index.html, written at deploy time
// (scripts/web generates it from a stack's stack.json; web/README.md shows one).

export interface OidcConfig {
  /** The issuer the API's JWT authorizer trusts (the ID token's `iss`). */
  issuer: string;
  /** The app client id (the ID token's `aud`, the authorizer's audience). */
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Optional; Cognito's /logout (client_id + logout_uri) or an OIDC end_session_endpoint. */
  endSessionEndpoint?: string;
  /** Default "openid email": the ID token must carry email and email_verified. */
  scope?: string;
}

export interface Config {
  /** The API's base URL, without a trailing slash. */
  api: string;
  oidc: OidcConfig;
  /** Optional: the team the home page links to. */
  team?: { id: string; name?: string };
}

let loaded: Config | null = null;

export async function loadConfig(): Promise<Config> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const c = (await res.json()) as Config;
  const missing = ["api", "oidc.issuer", "oidc.clientId", "oidc.authorizationEndpoint", "oidc.tokenEndpoint"].filter(
    (path) => !path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], c),
  );
  if (missing.length) throw new Error(`config.json lacks ${missing.join(", ")}`);
  c.api = c.api.replace(/\/+$/, "");
  loaded = c;
  return c;
}

export function config(): Config {
  if (!loaded) throw new Error("config not loaded");
  return loaded;
}
