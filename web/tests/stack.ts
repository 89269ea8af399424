// What the suite knows of the deployed stack (STACK_JSON, written by scripts/stack.py)
// and the few calls it makes outside the browser: ID tokens straight from Cognito's
// API (to set up data quickly), invitations made through the API, and the mail the
// emulator's SES recorded.
import { readFileSync } from "node:fs";

export interface StackUser {
  username: string;
  email: string;
}

interface StackJson {
  api: string;
  endpoint: string;
  region: string;
  team: string;
  team_name: string;
  frontend_origin: string;
  app_client: string;
  password: string;
  users: Record<string, StackUser>;
  ses_messages?: string;
}

const file = process.env.STACK_JSON;
if (!file) throw new Error("STACK_JSON is not set: the path of a deployed stack's stack.json (scripts/browser-test sets it)");
export const stack = JSON.parse(readFileSync(file, "utf8")) as StackJson;
export const APP = (process.env.APP_BASE_URL || stack.frontend_origin || "http://localhost:3000").replace(/\/$/, "");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const TEAM = stack.team;
export const TEAM_NAME = stack.team_name;

export type UserName = "owner" | "admin" | "member" | "ada" | "bo" | "eve";

export function user(name: UserName): StackUser {
  const u = stack.users[name];
  if (!u) throw new Error(`stack.json has no user ${name}`);
  return u;
}

/** A fresh ID token from Cognito's InitiateAuth (USER_PASSWORD_AUTH), as an API client would get. */
export async function idToken(name: UserName): Promise<string> {
  const res = await fetch(stack.endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: stack.app_client,
      AuthParameters: { USERNAME: user(name).username, PASSWORD: stack.password },
    }),
  });
  const body = (await res.json()) as { AuthenticationResult?: { IdToken: string } };
  if (!body.AuthenticationResult) throw new Error(`InitiateAuth for ${name}: ${res.status} ${JSON.stringify(body)}`);
  return body.AuthenticationResult.IdToken;
}

export interface Invitation {
  id: string;
  email: string;
  status: string;
  link: string;
  linkToken: string;
}

/** An invitation made through the API, as the owner, to set up a test. */
export async function apiInvite(email: string, role = "member"): Promise<Invitation> {
  const res = await fetch(`${stack.api}/teams/${TEAM}/invitations`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await idToken("owner")}`, "Content-Type": "application/json" },
    body: JSON.stringify({ email, role }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`invite ${email}: ${res.status} ${JSON.stringify(body)}`);
  return body as Invitation;
}

/** The team's invitations as the API lists them for a user. */
export async function apiList(name: UserName, query = "limit=100"): Promise<Invitation[]> {
  const res = await fetch(`${stack.api}/teams/${TEAM}/invitations?${query}`, {
    headers: { Authorization: `Bearer ${await idToken(name)}` },
  });
  if (res.status !== 200) throw new Error(`list: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { invitations: Invitation[] }).invitations;
}

/** Every page of the team's invitations (`query` without a cursor), as a user sees them. */
export async function apiListAll(name: UserName, query: string): Promise<Invitation[]> {
  const token = await idToken(name);
  const all: Invitation[] = [];
  let cursor: string | null = null;
  do {
    const q = `${query}&limit=100${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await fetch(`${stack.api}/teams/${TEAM}/invitations?${q}`, { headers: { Authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`list: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { invitations: Invitation[]; nextCursor: string | null };
    all.push(...page.invitations);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The team's members' addresses: GET /members where the API has it, else those who accepted an invitation. */
async function members(): Promise<Set<string>> {
  const res = await fetch(`${stack.api}/teams/${TEAM}/members?limit=100`, {
    headers: { Authorization: `Bearer ${await idToken("owner")}` },
  });
  if (res.status === 200) {
    const page = (await res.json()) as { members?: { email: string }[]; nextCursor?: string | null };
    if (Array.isArray(page.members) && !page.nextCursor) return new Set(page.members.map((m) => m.email));
  }
  return new Set((await apiListAll("owner", "status=accepted")).map((i) => i.email));
}

/** Who accepts in the journey and who tries to with the wrong account: ada and bo
 * on a fresh stack; bo and ada while ada is a member.
 * An open invitation left for the invitee is withdrawn first. */
export async function journeyPeople(): Promise<{ invitee: UserName; other: UserName }> {
  const joined = await members();
  const pair = ([["ada", "bo"], ["bo", "ada"]] as const).find(([invitee]) => !joined.has(user(invitee).email));
  if (!pair) throw new Error("ada and bo have both joined the team: the journey needs a stack where one has not (deploy a fresh one)");
  const [invitee, other] = pair;
  const owner = await idToken("owner");
  for (const open of await apiListAll("owner", "status=open")) {
    if (open.email !== user(invitee).email) continue;
    await fetch(`${stack.api}/teams/${TEAM}/invitations/${open.id}/withdraw`, {
      method: "POST",
      headers: { Authorization: `Bearer ${owner}` },
    });
  }
  return { invitee, other };
}

export interface Email {
  subject: string;
  text: string;
  html: string;
  link: string;
}

/** The newest email to `to` that the emulator's SES recorded, and the invitation link in it. */
export async function emailTo(to: string): Promise<Email> {
  if (!stack.ses_messages) throw new Error("stack.json has no ses_messages: not the local emulator");
  const data = (await (await fetch(stack.ses_messages)).json()) as {
    messages?: Record<string, { To?: string[]; Subject?: string; BodyText?: string; BodyHtml?: string }[]>;
  };
  const found = Object.values(data.messages ?? {})
    .flat()
    .filter((m) => (m.To ?? []).includes(to));
  const m = found[found.length - 1];
  if (!m) throw new Error(`no email to ${to}`);
  const text = m.BodyText ?? "";
  const link = /https?:\/\/\S+\/invitations\/[0-9a-f-]+\?token=[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (!link) throw new Error(`no invitation link in the email to ${to}: ${text}`);
  return { subject: m.Subject ?? "", text, html: m.BodyHtml ?? "", link };
}

/** An address nobody has been invited with yet. */
export function freshAddress(what: string): string {
  return `${what}.${(Date.now() % 1e8).toString(36)}${Math.floor(Math.random() * 100)}@example.com`;
}
