// What the suite knows of the deployed stack and of its own team (STACK_JSON, written
// by `scripts/suite.py create browser`: a team and people of its own, with their ID
// tokens) and the few calls it makes outside the browser: invitations made through
// the API (to set up data quickly), the mail the emulator's SES recorded, the stack's
// outputs, and SES's reports on an email handed straight to the delivery function.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StackUser {
  username: string;
  email: string;
  /** An ID token, as the user gets one signing in (scripts/suite.py mints it; an hour's worth). */
  token: string;
}

interface StackJson {
  api: string;
  endpoint: string;
  region: string;
  table: string;
  team: string;
  team_name: string;
  frontend_origin: string;
  password: string;
  users: Record<string, StackUser>;
  ses_messages?: string;
  /** The CloudFormation stack's name. */
  stack?: string;
  /** The delivery function's name, if stack.json has it (else the stack's output DeliveryFunctionName). */
  delivery_function?: string;
  /** The stack's account and SES configuration set: the delivery function applies only their reports. */
  account?: string;
  ses_configuration_set?: string;
}

const file = process.env.STACK_JSON;
if (!file) throw new Error("STACK_JSON is not set: the path of a suite's file, its team and people on a deployed stack (scripts/browser-test sets it)");
export const stack = JSON.parse(readFileSync(file, "utf8")) as StackJson;
export const APP = (process.env.APP_BASE_URL || stack.frontend_origin || "http://localhost:3000").replace(/\/$/, "");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const TEAM = stack.team;
export const TEAM_NAME = stack.team_name;

export type UserName = "owner" | "admin" | "member" | "ada" | "bo" | "eve" | "colleague";

export function user(name: UserName): StackUser {
  const u = stack.users[name];
  if (!u) throw new Error(`stack.json has no user ${name}`);
  return u;
}

/** The user's ID token, for the calls that set up a test (not the browser's sign-in). */
export async function idToken(name: UserName): Promise<string> {
  return user(name).token;
}

export interface Invitation {
  id: string;
  email: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  locale: string;
  link: string;
  linkToken: string;
  actions: string[];
}

/** An invitation made through the API, as the owner, to set up a test. */
export async function apiInvite(email: string, role = "member", locale?: string): Promise<Invitation> {
  const res = await fetch(`${stack.api}/teams/${TEAM}/invitations`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await idToken("owner")}`, "Content-Type": "application/json" },
    body: JSON.stringify(locale ? { email, role, locale } : { email, role }),
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

export interface Member {
  userId: string;
  email: string;
  role: string;
}

/** The team's members (GET /teams/{teamId}/members, every page), as the owner sees them. */
export async function apiMembers(): Promise<Member[]> {
  const token = await idToken("owner");
  const all: Member[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(`${stack.api}/teams/${TEAM}/members?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`members: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { members: Member[]; nextCursor: string | null };
    all.push(...page.members);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The seats taken in the team (members and open invitations, as its seats item counts them, an
 * expired invitation until released): a limit set far above them, read back, then removed. */
export async function seatsTaken(): Promise<number> {
  setSeats(100_000);
  try {
    const res = await fetch(`${stack.api}/teams/${TEAM}/members`, {
      headers: { Authorization: `Bearer ${await idToken("owner")}` },
    });
    const seats = ((await res.json()) as { seats: { members: number; openInvitations: number } | null }).seats;
    if (res.status !== 200 || !seats) throw new Error(`members: ${res.status} ${JSON.stringify(seats)}`);
    return seats.members + seats.openInvitations;
  } finally {
    setSeats("none");
  }
}

async function members(): Promise<Set<string>> {
  return new Set((await apiMembers()).map((m) => m.email));
}

/** Makes a user a member of the team, as people do: the owner invites them, they accept with the link. */
export async function ensureMember(name: UserName, role = "member"): Promise<void> {
  if ((await members()).has(user(name).email)) return;
  await withdrawOpen(user(name).email);
  const inv = await apiInvite(user(name).email, role);
  const res = await fetch(`${stack.api}/invitations/${inv.id}/accept`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await idToken(name)}`, "Content-Type": "application/json" },
    body: JSON.stringify({ token: inv.linkToken }),
  });
  if (res.status !== 200) throw new Error(`accept as ${name}: ${res.status} ${await res.text()}`);
}

/** Ends a user's membership, if any (DELETE /teams/{teamId}/members/{userId}, as the owner), so a test can invite them. */
export async function ensureNotMember(name: UserName): Promise<void> {
  const m = (await apiMembers()).find((x) => x.email === user(name).email);
  if (!m) return;
  const res = await fetch(`${stack.api}/teams/${TEAM}/members/${encodeURIComponent(m.userId)}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${await idToken("owner")}` },
  });
  if (res.status !== 200) throw new Error(`remove ${name}: ${res.status} ${await res.text()}`);
}

/** Withdraws any open invitation to an address, as the owner. */
export async function withdrawOpen(email: string): Promise<void> {
  const owner = await idToken("owner");
  for (const open of await apiListAll("owner", "status=open")) {
    if (open.email !== email) continue;
    await fetch(`${stack.api}/teams/${TEAM}/invitations/${open.id}/withdraw`, {
      method: "POST",
      headers: { Authorization: `Bearer ${owner}` },
    });
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** The development-only admin command (scripts/stack builds it before the browser suite). */
export const ADMIN = process.env.INVITATIONS_ADMIN || join(here, "..", "..", "target", "debug", "invitations-admin");

/** Makes an open invitation's week pass now: `invitations-admin expire-invitation`, against the stack's table. */
export function expireInvitation(id: string): void {
  admin(["expire-invitation", "--invitation-id", id]);
}

/** Runs the admin command against the stack's table. */
function admin(args: string[]): void {
  execFileSync(ADMIN, args, {
    env: {
      ...process.env,
      TABLE_NAME: stack.table,
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
}

/** Sends an open invitation's reminder before expiry now: its reminder made
 * due (`invitations-admin remind-now`; the emulator's clock cannot move two days
 * on), then a run of the stack's remind function, as its schedule starts one. */
export async function remindNow(id: string): Promise<void> {
  admin(["remind-now", "--invitation-id", id]);
  await invokeFunction(await stackOutput("RemindFunctionName"), { source: "aws.events", "detail-type": "Scheduled Event" });
}

/** Sets the team's seat limit alone (`invitations-admin set-seats`), or removes it. */
export function setSeats(seats: number | "none"): void {
  admin(["set-seats", "--team-id", TEAM, "--seats", String(seats)]);
}

/** Who accepts in the journey and who tries to with the wrong account: ada and bo
 * on a fresh stack; bo and ada while ada is a member. When both have joined (the
 * suite run again), ada's membership is ended first.
 * An open invitation left for the invitee is withdrawn first. */
export async function journeyPeople(): Promise<{ invitee: UserName; other: UserName }> {
  const joined = await members();
  let pair = ([["ada", "bo"], ["bo", "ada"]] as const).find(([invitee]) => !joined.has(user(invitee).email));
  if (!pair) {
    await ensureNotMember("ada");
    pair = ["ada", "bo"];
  }
  const [invitee, other] = pair;
  await withdrawOpen(user(invitee).email);
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
  const link = /https?:\/\/\S+\/invitations\/[0-9a-f-]+#token=[A-Za-z0-9_-]+(\.[0-9]+)?/.exec(text)?.[0];
  if (!link) throw new Error(`no invitation link in the email to ${to}: ${text}`);
  return { subject: m.Subject ?? "", text, html: m.BodyHtml ?? "", link };
}

const xmlText = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** One output of the deployed stack: CloudFormation's DescribeStacks on the emulator
 * (a plain unsigned query; MiniStack accepts it), read from its XML answer. */
export async function stackOutput(key: string): Promise<string> {
  const q = new URLSearchParams({ Action: "DescribeStacks", Version: "2010-05-15", StackName: stack.stack ?? "team-invitations-local" });
  const res = await fetch(`${stack.endpoint}/?${q}`);
  const xml = await res.text();
  if (res.status !== 200) throw new Error(`DescribeStacks: ${res.status} ${xml}`);
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const found = new RegExp(`<OutputKey>${escaped}</OutputKey>\\s*<OutputValue>([^<]*)</OutputValue>`).exec(xml);
  if (!found) throw new Error(`the stack has no output ${key}: ${xml.slice(0, 2000)}`);
  return xmlText(found[1]);
}

/** The physical name of one of the stack's resources, by its logical id. */
export async function stackResource(logicalId: string): Promise<string> {
  const q = new URLSearchParams({
    Action: "DescribeStackResource",
    Version: "2010-05-15",
    StackName: stack.stack ?? "team-invitations-local",
    LogicalResourceId: logicalId,
  });
  const res = await fetch(`${stack.endpoint}/?${q}`);
  const xml = await res.text();
  const found = /<PhysicalResourceId>([^<]*)<\/PhysicalResourceId>/.exec(xml);
  if (res.status !== 200 || !found) throw new Error(`DescribeStackResource ${logicalId}: ${res.status} ${xml.slice(0, 2000)}`);
  return xmlText(found[1]);
}

/** Sets a function's reserved concurrency (0: Lambda throttles every invocation,
 * and API Gateway answers 429), or removes it (null). */
export async function reservedConcurrency(name: string, value: number | null): Promise<void> {
  const url = `${stack.endpoint}/2017-10-31/functions/${encodeURIComponent(name)}/concurrency`;
  const res =
    value === null
      ? await fetch(url, { method: "DELETE" })
      : await fetch(url, {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ReservedConcurrentExecutions: value }),
        });
  if (res.status >= 300) throw new Error(`concurrency of ${name}: ${res.status} ${await res.text()}`);
}

/** Lambda's Invoke on the emulator (plain unsigned HTTP; MiniStack accepts it), waiting
 * for the function's answer; a function error throws. */
export async function invokeFunction(name: string, event: unknown): Promise<string> {
  const res = await fetch(`${stack.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(event),
  });
  const text = await res.text();
  const failed = res.headers.get("x-amz-function-error");
  if (res.status !== 200 || failed) throw new Error(`invoke ${name}: ${res.status} ${failed ?? ""} ${text}`);
  return text;
}

let deliveryFunction: Promise<string> | null = null;

/** The function that applies SES's reports on invitation emails (the stack's output DeliveryFunctionName). */
export function deliveryFunctionName(): Promise<string> {
  deliveryFunction ??= stack.delivery_function ? Promise.resolve(stack.delivery_function) : stackOutput("DeliveryFunctionName");
  return deliveryFunction;
}

let configurationSet: Promise<string> | null = null;

/** The SES configuration set the stack sends with (its output EmailConfigurationSetName). */
function configurationSetName(): Promise<string> {
  configurationSet ??= stack.ses_configuration_set
    ? Promise.resolve(stack.ses_configuration_set)
    : stackOutput("EmailConfigurationSetName");
  return configurationSet;
}

export type SesReport = "Bounce" | "Delivery";

/** Makes SES's report on an invitation's email arrive as it does in AWS: an
 * EventBridge event carrying the SES event record (its tags name the invitation
 * and the link's generation), handed to the delivery function. */
export async function sesReport(
  invitation: { id: string; email: string },
  report: SesReport,
  opts: { bounceType?: "Permanent" | "Transient" | "Undetermined"; generation?: number } = {},
): Promise<void> {
  const now = new Date().toISOString();
  const section =
    report === "Bounce"
      ? {
          bounce: {
            bounceType: opts.bounceType ?? "Permanent",
            bounceSubType: "General",
            bouncedRecipients: [{ emailAddress: invitation.email }],
            timestamp: now,
            feedbackId: `feedback-${randomUUID()}`,
          },
        }
      : { delivery: { timestamp: now, recipients: [invitation.email] } };
  await invokeFunction(await deliveryFunctionName(), {
    version: "0",
    id: randomUUID(),
    source: "aws.ses",
    "detail-type": report === "Bounce" ? "Email Bounced" : "Email Delivered",
    time: now,
    region: stack.region,
    account: stack.account ?? "000000000000",
    resources: [],
    detail: {
      eventType: report,
      ...section,
      mail: {
        timestamp: now,
        messageId: `m-${randomUUID()}`,
        source: "invitations@example.com",
        destination: [invitation.email],
        tags: {
          invitationId: [invitation.id],
          linkGeneration: [String(opts.generation ?? 0)],
          "ses:configuration-set": [await configurationSetName()],
        },
      },
    },
  });
}

/** An address nobody has been invited with yet. */
export function freshAddress(what: string): string {
  return `${what}.${(Date.now() % 1e8).toString(36)}${Math.floor(Math.random() * 100)}@example.com`;
}
