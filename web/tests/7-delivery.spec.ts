// SES's reports on an invitation email, against the stack as it is: the owner
// invites from the form, then SES's bounce report arrives the way it does in AWS
// (an EventBridge event carrying the SES event record, handed to the stack's
// delivery function through Lambda's Invoke on the emulator). The team's list says
// so in words, with what to do; the invitation's history lists the invitation and
// the bounce; a delivery report arriving after the bounce changes nothing (reports
// never move the status back). A reminder before expiry, sent by the stack's
// remind function, reaches the invitee with the same link and shows in the history.
import { expect, test } from "@playwright/test";
import { checkA11y, eventually, rowOf, shot, signIn } from "./browser";
import { apiList, emailTo, freshAddress, remindNow, sesReport, TEAM, TEAM_NAME, user } from "./stack";

const teamPath = `/teams/${TEAM}`;

test("a bounced email: in words on its row with what to do, in the invitation's history, and not undone by a later delivery report", async ({ page }) => {
  test.setTimeout(120_000);
  const address = freshAddress("bounce");
  await signIn(page, "owner");
  await page.goto(teamPath);
  await page.getByLabel("Email address").fill(address);
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(
    `Invitation sent to ${address} as Member.`,
  );
  const id = await rowOf(page, address).getAttribute("data-invitation");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const invitation = { id: id!, email: address };

  // SES: the recipient's mail server refused the address.
  await sesReport(invitation, "Bounce", { bounceType: "Permanent" });

  const row = () => rowOf(page, address);
  await eventually(page, async () => {
    await expect(row()).toContainText("Email bounced: the address does not accept mail", { timeout: 1000 });
  });
  await expect(row()).toContainText("Open");
  const warning = row().locator(".warning");
  await expect(warning).toBeVisible();
  await expect(warning).toHaveText(
    "⚠ Email bounced: the address does not accept mail, and sending it again will not help. Copy the link and send it another way, or withdraw it and invite the correct address.",
  );
  await checkA11y(page, "a bounced email");
  await shot(page, "team-email-bounced");

  // Its history, in a dialog: the invitation by the owner, then the bounce.
  const historyButton = row().getByRole("button", { name: `History of the invitation for ${address}` });
  await historyButton.click();
  const dialog = page.getByRole("dialog", { name: `History of the invitation for ${address}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
  const entries = dialog.getByRole("listitem");
  await expect(entries.first()).toContainText(`Invited by ${user("owner").email}`);
  await expect(entries.last()).toContainText("Email bounced (permanent)");
  await expect(entries.first().locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);
  await checkA11y(page, "an invitation's history");
  await shot(page, "team-invitation-history", { viewport: true });
  // Escape closes it, and the focus goes back to the button.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(historyButton).toBeFocused();

  // A delivery report after the bounce (out of order, or of an earlier try) changes nothing.
  await sesReport(invitation, "Delivery");
  await page.reload();
  await expect(row()).toContainText("Email bounced: the address does not accept mail");
  await expect(row()).not.toContainText("Email delivered");
  expect((await apiList("owner", "status=open&limit=100")).find((i) => i.id === id)).toMatchObject({
    emailDelivery: "bounced",
    bounceType: "permanent",
  });
  // The history (read from the invitation itself) still ends with the bounce.
  await row().getByRole("button", { name: `History of the invitation for ${address}` }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("listitem").last()).toContainText("Email bounced (permanent)");
  await expect(dialog).not.toContainText("Email delivered");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
});

test("a reminder before expiry: emailed with the invitation's own link, and in its history", async ({ page }) => {
  test.setTimeout(120_000);
  const address = freshAddress("remind");
  await signIn(page, "owner");
  await page.goto(teamPath);
  await page.getByLabel("Email address").fill(address);
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toBeVisible();
  const id = await rowOf(page, address).getAttribute("data-invitation");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const invited = await emailTo(address);

  await remindNow(id!);
  const reminder = await emailTo(address);
  expect(reminder.subject).toBe(`Reminder: ${user("owner").email} invited you to join ${TEAM_NAME} on Team invitations`);
  expect(reminder.text).toContain(`Your invitation to ${TEAM_NAME} expires soon`);
  expect(reminder.link, "the same link: a reminder is not a resend").toBe(invited.link);

  await page.reload();
  const historyButton = rowOf(page, address).getByRole("button", { name: `History of the invitation for ${address}` });
  await historyButton.click();
  const dialog = page.getByRole("dialog", { name: `History of the invitation for ${address}` });
  await expect(dialog.getByRole("listitem").last()).toContainText("Reminded before expiry");
  await checkA11y(page, "an invitation's history with its reminder");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(rowOf(page, address)).toContainText("Open");
});
