// Accepting as another address, with a manager's consent: an invitation sent to
// one address is opened by someone signed in with another (ada); she is told it
// is for someone else, and asks the team to let her account accept; the owner
// sees both addresses on the team's page and approves; ada is a member, under
// her own address.
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { checkA11y, shot, signIn, signInOnProvider } from "./browser";
import { apiInvite, apiMembers, ensureNotMember, TEAM, TEAM_NAME, user } from "./stack";

test("someone signed in with another address asks, and the owner lets that account accept", async ({ page, browser }) => {
  await ensureNotMember("ada");
  const ada = user("ada").email;
  const invited = `ada.work+${randomUUID().slice(0, 8)}@example.com`;
  const inv = await apiInvite(invited);

  const theirs = await (await browser.newContext()).newPage();
  await theirs.goto(inv.link);
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await theirs.getByRole("button", { name: "Accept invitation" }).click();
  await signInOnProvider(theirs, "ada");
  await expect(theirs.getByRole("heading", { level: 1 })).toHaveText("This invitation is for someone else");
  const ask = theirs.getByRole("button", { name: `Ask the team to let ${ada} accept` });
  await ask.click();
  await expect(theirs.getByRole("status").filter({ hasText: "Asked." })).toHaveText(
    `Asked. When a manager of ${TEAM_NAME} approves, you join as ${ada}; until then the invitation stays open.`,
  );
  await expect(ask).toHaveCount(0);
  await checkA11y(theirs, "the wrong-account page, asked");
  await shot(theirs, "consent-asked");
  expect((await apiMembers()).map((m) => m.email)).not.toContain(ada);

  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}`);
  const section = page.getByRole("region", { name: "Requests to accept as another address" });
  const row = section.locator("tr", { has: page.getByRole("rowheader", { name: invited }) });
  await expect(row).toContainText(ada);
  await checkA11y(page, "the team's invitations with a request to accept as another address");
  await shot(page, "consent-requests");
  await row.getByRole("button", { name: `Approve: let ${ada} accept the invitation sent to ${invited}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "is now a member" })).toHaveText(
    `${ada} is now a member of ${TEAM_NAME}, accepting the invitation sent to ${invited}.`,
  );
  await expect(section).toBeHidden();
  expect((await apiMembers()).map((m) => m.email)).toContain(ada);
  await theirs.context().close();
  await ensureNotMember("ada");
});
