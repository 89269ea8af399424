// My invitations: the open invitations sent to the signed-in person's verified
// address, across teams, accepted there without the link; the empty state; an
// unverified address (eve) told why nothing can be shown.
import { expect, test } from "@playwright/test";
import { checkA11y, eventually, rowOf, shot, signIn } from "./browser";
import { ensureNotMember, TEAM, TEAM_NAME, user, withdrawOpen } from "./stack";

test("the owner invites bo; bo finds it under My invitations and accepts without the link; the owner sees it accepted", async ({ page, browser }) => {
  const bo = user("bo").email;
  await ensureNotMember("bo");
  await withdrawOpen(bo);

  const manager = await (await browser.newContext()).newPage();
  await signIn(manager, "owner");
  await manager.goto(`/teams/${TEAM}`);
  await manager.getByLabel("Email address").fill(bo);
  await manager.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(manager.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(`Invitation sent to ${bo} as Member.`);

  await signIn(page, "bo");
  await page.getByRole("banner").getByRole("link", { name: "My invitations" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My invitations");
  const row = page.locator("tr", { has: page.getByRole("rowheader", { name: TEAM_NAME, exact: true }) });
  await eventually(page, async () => {
    await expect(row).toHaveCount(1, { timeout: 1000 });
  });
  await expect(row).toContainText("Member");
  await expect(row).toContainText(user("owner").email);
  await expect(row.locator("time")).toBeVisible();
  await checkA11y(page, "my invitations");
  await shot(page, "my-invitations");

  await row.getByRole("button", { name: `Accept the invitation to join ${TEAM_NAME} as Member` }).click();
  await expect(page.getByRole("status").filter({ hasText: "joined" })).toHaveText(`You joined ${TEAM_NAME} as Member.`);
  await expect(row).toHaveCount(0);
  await expect(page.getByText("No invitations are waiting for you.")).toBeVisible();
  await checkA11y(page, "my invitations, accepted");
  await shot(page, "my-invitations-accepted");
  await page.getByRole("link", { name: `Go to ${TEAM_NAME}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: invitations`);

  await manager.goto(`/teams/${TEAM}?status=accepted`);
  await eventually(manager, async () => {
    await expect(rowOf(manager, bo)).toContainText("Accepted", { timeout: 1000 });
  });
  await manager.context().close();
});

test("an address the provider did not verify (eve): My invitations says why it shows nothing", async ({ page }) => {
  await signIn(page, "eve");
  await page.goto("/me/invitations");
  await expect(page.getByText(`Your sign-in provider has not verified ${user("eve").email}`)).toBeVisible();
  await expect(page.getByRole("button", { name: /^Accept/ })).toHaveCount(0);
  await checkA11y(page, "my invitations, unverified");
  await shot(page, "my-invitations-unverified");
});
