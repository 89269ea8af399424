// Joining by a verified domain: the platform declared that the team owns the
// colleague's email domain (scripts/suite.py, when it made the suite's team);
// signed in, the colleague finds the team under "Teams you can join" on My
// invitations and joins it with no invitation; someone of another domain sees
// no team to join.
import { expect, test } from "@playwright/test";
import { checkA11y, shot, signIn } from "./browser";
import { apiMembers, ensureNotMember, TEAM_NAME, user } from "./stack";

test("someone of the team's verified domain finds it under My invitations and joins it", async ({ page }) => {
  await ensureNotMember("colleague");
  const colleague = user("colleague").email;
  await signIn(page, "colleague");
  await page.getByRole("banner").getByRole("link", { name: "My invitations" }).click();
  const heading = page.getByRole("heading", { name: "Teams you can join" });
  await expect(heading).toBeVisible();
  const domain = colleague.split("@")[1];
  const item = page.locator("li", { hasText: TEAM_NAME }).filter({ hasText: `(${domain})` });
  await expect(item).toContainText("as Member");
  await checkA11y(page, "my invitations, with a team to join");
  await shot(page, "joinable-teams");

  await item.getByRole("button", { name: `Join ${TEAM_NAME} as Member` }).click();
  await expect(page.getByRole("status").filter({ hasText: "joined" })).toHaveText(`You joined ${TEAM_NAME} as Member.`);
  await expect(heading).toBeFocused();
  await expect(item).toContainText("you are a member");
  await expect(page.getByRole("link", { name: `Go to ${TEAM_NAME}` })).toBeVisible();
  expect((await apiMembers()).map((m) => m.email)).toContain(colleague);
  await checkA11y(page, "my invitations, joined by the domain");
});

test("someone of another domain sees no team to join", async ({ page }) => {
  await signIn(page, "bo");
  await page.getByRole("banner").getByRole("link", { name: "My invitations" }).click();
  await expect(page.getByRole("heading", { name: "Teams you can join" })).toBeVisible();
  await expect(page.getByText(`No team owns the domain of ${user("bo").email}.`)).toBeVisible();
});
