// The journey, as people go through it in the browser: the manager invites ada and
// copies the link; another account (bo) cannot use it; ada opens the emailed link,
// previews, signs in, accepts; the manager's list shows it accepted. (In a team
// ada has joined already, the suite having run before, bo is the invitee and ada
// the other account: journeyPeople.)
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { checkA11y, eventually, rowOf, shot, signInOnProvider } from "./browser";
import { APP, emailTo, journeyPeople, stack, TEAM, TEAM_NAME, user, type UserName } from "./stack";

test.describe.configure({ mode: "serial" });

let invitee: UserName = "ada";
let other: UserName = "bo";
let inviteeEmail = user("ada").email;
let manager: BrowserContext;
let managerPage: Page;
let copied = "";

async function fresh(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test.beforeAll(async ({ browser }) => {
  ({ invitee, other } = await journeyPeople());
  inviteeEmail = user(invitee).email;
  manager = await browser.newContext();
  managerPage = await manager.newPage();
});

test.afterAll(async () => {
  await manager?.close();
});

test("the manager signs in and invites ada; the list shows the invitation open", async () => {
  const page = managerPage;
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Team invitations");
  await checkA11y(page, "the start page");
  await shot(page, "home-signed-out");

  await page.getByRole("main").getByRole("button", { name: "Sign in" }).click();
  await signInOnProvider(page, "owner", { screenshot: "sign-in-provider" });
  await expect(page.getByRole("banner")).toContainText(`Signed in as ${user("owner").email}`);

  await page.getByRole("link", { name: `${TEAM_NAME}: invitations` }).click();
  await expect(page).toHaveURL(`${APP}/teams/${TEAM}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: invitations`);
  await expect(page.getByRole("heading", { name: "Invite someone" })).toBeVisible();

  await page.getByLabel("Email address").fill(inviteeEmail);
  await page.getByLabel("Role").selectOption("member");
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(
    `Invitation sent to ${inviteeEmail} as Member.`,
  );
  const row = rowOf(page, inviteeEmail);
  await expect(row).toContainText("Open");
  await expect(row).toContainText("Member");
  await expect(row).toContainText("Sent");

  // The list as the API gives it after a reload, not only the row the form added.
  await eventually(page, async () => {
    await expect(rowOf(page, inviteeEmail)).toContainText("Open", { timeout: 1000 });
  });
  await checkA11y(page, "the team's invitations (manager)");
  await shot(page, "team-manager");
});

test("the manager copies the link of the invitation to the clipboard", async () => {
  const page = managerPage;
  await rowOf(page, inviteeEmail).getByRole("button", { name: `Copy link for ${inviteeEmail}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "copied" })).toHaveText(
    `Link for ${inviteeEmail} copied to the clipboard.`,
  );
  copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(new RegExp(`^${APP}/invitations/[0-9a-f-]{36}#token=[A-Za-z0-9_-]+$`));
});

test("the email carries the same link; it reads well in a browser", async ({ browser }) => {
  const email = await emailTo(inviteeEmail);
  expect(email.link).toBe(copied);
  expect(email.subject).toContain(TEAM_NAME);
  const page = await fresh(browser);
  await page.setContent(email.html);
  await expect(page.getByRole("link", { name: "Accept or decline", exact: true })).toHaveAttribute("href", copied);
  await shot(page, "email");
  await page.context().close();
});

test("another account (bo) is told the invitation is for the invitee (ada), and it stays open", async ({ browser }) => {
  const page = await fresh(browser);
  await page.goto(copied);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await signInOnProvider(page, other);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation is for someone else");
  await expect(page.getByRole("alert")).toHaveText(
    `This invitation was sent to ${inviteeEmail}, and only that address can accept it. You are signed in as ${user(other).email}.`,
  );
  await expect(page.getByText("The invitation is still open")).toBeVisible();
  await expect(page.getByRole("button", { name: `Sign in as ${inviteeEmail}` })).toBeVisible();
  await checkA11y(page, "the wrong-account page");
  await shot(page, "invitation-wrong-account");

  // The offer to switch accounts asks the provider for a fresh sign-in, hinting ada's address.
  await page.getByRole("button", { name: `Sign in as ${inviteeEmail}` }).click();
  await page.waitForURL((url) => url.pathname.endsWith("/oauth2/authorize"));
  const asked = new URL(page.url()).searchParams;
  expect([asked.get("prompt"), asked.get("login_hint"), asked.get("code_challenge_method")]).toEqual(["login", inviteeEmail, "S256"]);

  // Still open: the link previews it as before.
  await page.goto(copied);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await page.context().close();
});

test("the invitee (ada) opens the emailed link, previews without signing in, signs in and accepts", async ({ browser }) => {
  const page = await fresh(browser);
  const { link } = await emailTo(inviteeEmail);
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await expect(page.getByText(`You are invited to join ${TEAM_NAME} as Member.`)).toBeVisible();
  const details = page.locator("dl.details");
  await expect(details).toContainText(TEAM_NAME);
  await expect(details).toContainText(inviteeEmail);
  await expect(details).toContainText(`Invited by${user("owner").email}`);
  await expect(details).toContainText("Expires");
  await expect(page.getByText(`To accept, you will be asked to sign in as ${inviteeEmail}.`)).toBeVisible();
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign in" })).toBeVisible();
  await checkA11y(page, "the invitation preview");
  await shot(page, "invitation-preview");

  await page.getByRole("button", { name: "Accept invitation" }).click();
  await signInOnProvider(page, invitee);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome to ${TEAM_NAME}`);
  await expect(page.getByRole("status").filter({ hasText: "accepted" })).toHaveText(
    `You accepted the invitation: ${inviteeEmail} is now a member of ${TEAM_NAME} as Member.`,
  );
  await checkA11y(page, "the accepted page");
  await shot(page, "invitation-accepted");

  // The link to the team: ada, now a member, sees its list (members.read) without the managers' controls.
  await page.getByRole("link", { name: `Go to ${TEAM_NAME}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: invitations`);
  await expect(page.locator("table.invitations")).toBeVisible();

  // The link again: already accepted.
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation was already accepted");
  await page.context().close();
});

test("the manager's list shows the invitation accepted", async () => {
  const page = managerPage;
  await page.goto(`/teams/${TEAM}?status=accepted`);
  await expect(page.getByLabel("Show")).toHaveValue("accepted");
  await eventually(page, async () => {
    await expect(rowOf(page, inviteeEmail)).toContainText("Accepted", { timeout: 1000 });
  });
  // Nothing left to do with it; its history stays readable.
  await expect(rowOf(page, inviteeEmail).getByRole("button")).toHaveText(["History"]);
  await shot(page, "team-accepted");
  expect(stack.api.startsWith(APP)).toBe(false);
});
