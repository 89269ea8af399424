// Invite links: an owner makes one (its link shown once, to copy); someone who
// is not a member opens it in another browser, signs in, sees the team, the
// role and who shared it, and joins; the owner's list shows who joined, and
// revoking the link with the members it brought in ends that membership; the
// link then says it no longer works.
import { expect, test } from "@playwright/test";
import { checkA11y, shot, signIn, signInOnProvider } from "./browser";
import { apiMembers, ensureNotMember, TEAM, TEAM_NAME, user } from "./stack";

test("a link made by the owner lets someone join from another browser, and revoking it removes them", async ({ page, browser }) => {
  await ensureNotMember("bo");
  const bo = user("bo").email;
  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}`);
  await page.getByRole("navigation", { name: "Team" }).getByRole("link", { name: "Invite links" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: invite links`);
  await page.getByLabel("How many people").fill("0");
  await page.getByRole("button", { name: "Make link" }).click();
  await expect(page.getByLabel("How many people")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Enter a whole number from 1 to 1000.")).toBeVisible();
  await page.getByLabel("How many people").fill("2");
  await page.getByLabel("Open for").selectOption("3");
  await page.getByRole("button", { name: "Make link" }).click();
  await expect(page.getByRole("heading", { name: "Your new invite link" })).toBeFocused();
  const url = await page.getByLabel("Invite link", { exact: true }).inputValue();
  expect(url).toContain(`/join/${TEAM}/`);
  expect(url).toContain("#token=");
  await page.getByRole("button", { name: "Copy link" }).click();
  await expect(page.getByRole("status").filter({ hasText: "copied" })).toHaveText("Invite link copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  await checkA11y(page, "the invite links page with a new link");
  await shot(page, "links-created");

  // Someone else, in a browser of their own: signs in from the link's page.
  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto(url);
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText("Join a team");
  await theirs.getByRole("main").getByRole("button", { name: "Sign in" }).click();
  await signInOnProvider(theirs, "bo");
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await expect(theirs.getByRole("main")).toContainText(user("owner").email);
  await expect(theirs.getByRole("main")).toContainText("Member");
  await checkA11y(theirs, "the join page");
  await shot(theirs, "join-link");
  await theirs.getByRole("button", { name: `Join ${TEAM_NAME}` }).click();
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText(`You joined ${TEAM_NAME}`);
  await expect(theirs.getByRole("main")).toContainText(`You are a member of ${TEAM_NAME} as Member, with ${bo}.`);
  expect((await apiMembers()).map((m) => m.email)).toContain(bo);

  // The owner's list names them; revoking with the members it brought in ends theirs.
  await page.reload();
  const row = page.locator("tr", { has: page.getByText(bo) }).first();
  await row.getByText("1 of 2").click();
  await expect(row).toContainText(bo);
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: "Remove who joined" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke this link and remove who joined through it?" });
  await expect(dialog.getByRole("button", { name: "Keep them" })).toBeFocused();
  await checkA11y(page, "the revoke confirmation");
  await dialog.getByRole("button", { name: "Revoke and remove" }).click();
  await expect(page.getByRole("status").filter({ hasText: "revoked" })).toHaveText(
    "Link revoked; 1 member who joined through it removed.",
  );
  await expect(row).toContainText("Revoked");
  await shot(page, "links-revoked");
  expect((await apiMembers()).map((m) => m.email)).not.toContain(bo);

  // Opened again (the same address: a reload, not a fragment change).
  await theirs.reload();
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText("This link no longer works");
  await expect(theirs.getByRole("main")).toContainText("The team revoked this invite link.");
  await checkA11y(theirs, "a revoked link");
  await other.close();
});

test("through a link that needs approval, a request waits for the owner, who approves it", async ({ page, browser }) => {
  await ensureNotMember("bo");
  const bo = user("bo").email;
  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}/links`);
  await page.getByLabel("How many people").fill("5");
  await page.getByLabel("A manager approves each join").check();
  await page.getByRole("button", { name: "Make link" }).click();
  await expect(page.getByRole("heading", { name: "Your new invite link" })).toBeFocused();
  const url = await page.getByLabel("Invite link", { exact: true }).inputValue();

  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto(url);
  await theirs.getByRole("main").getByRole("button", { name: "Sign in" }).click();
  await signInOnProvider(theirs, "bo");
  await expect(theirs.getByRole("main")).toContainText("A manager of the team approves each request to join.");
  await theirs.getByRole("button", { name: `Ask to join ${TEAM_NAME}` }).click();
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText("Request sent");
  await checkA11y(theirs, "a request sent");
  await theirs.getByRole("link", { name: "See your requests" }).click();
  const mine = theirs.locator(`li[data-team="${TEAM}"]`);
  await expect(mine).toContainText("Waiting");
  await expect(mine.getByRole("button", { name: `Cancel your request to join ${TEAM_NAME}` })).toBeVisible();
  await checkA11y(theirs, "my requests");
  await shot(theirs, "my-join-requests");

  await page.reload();
  const request = page.getByRole("region", { name: "Requests to join" }).locator("tr", { has: page.getByRole("rowheader", { name: bo }) });
  await expect(request).toContainText("Waiting");
  await checkA11y(page, "the requests to join");
  await shot(page, "links-requests");
  await request.getByRole("button", { name: `Approve ${bo}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "now a member" })).toHaveText(`${bo} is now a member of ${TEAM_NAME}.`);
  await expect(request).toContainText("Approved");
  expect((await apiMembers()).map((m) => m.email)).toContain(bo);

  await theirs.reload();
  await expect(mine).toContainText("Approved");
  await other.close();
  await ensureNotMember("bo");
});
