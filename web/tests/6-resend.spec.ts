// Resend against the API as it is: the invitation was made when the suite started
// (global-setup.ts), so its cooldown has passed by now and the API offers `resend`.
// Two managers have the list open; one resends (a new link by email, the old link
// stops working); the other, whose page still offers it, is told it is too soon,
// with the wait the API gives (429 resend_too_soon, Retry-After). An expired invitation
// is renewed from its row: open again, with a new link.
import { expect, test } from "@playwright/test";
import { checkA11y, rowOf, shot, signIn } from "./browser";
import { apiInvite, apiList, emailTo, expireInvitation, freshAddress, TEAM, TEAM_NAME } from "./stack";

test("resend: asked first, a new link by email, the old one stops working; too soon is explained with the wait", async ({ page, browser }) => {
  test.setTimeout(150_000);
  const made: { id: string; email: string; link: string } =
    JSON.parse(process.env.RESEND_INVITATION ?? "null") ?? (await apiInvite(freshAddress("resend")));
  const address = made.email;
  // Until the API offers resend on it (run alone, this waits out the cooldown).
  await expect(async () => {
    const inv = (await apiList("owner", "status=open&limit=100")).find((i) => i.id === made.id);
    expect(inv?.actions).toContain("resend");
  }).toPass({ timeout: 100_000, intervals: [1000] });

  const resendButton = (p: typeof page) => rowOf(p, address).getByRole("button", { name: `Resend invitation to ${address}` });
  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}?status=open&limit=100`);
  await expect(resendButton(page)).toBeVisible();
  const other = await (await browser.newContext()).newPage();
  await signIn(other, "admin");
  await other.goto(`/teams/${TEAM}?status=open&limit=100`);
  await expect(resendButton(other)).toBeVisible();

  await resendButton(page).click();
  const dialog = page.getByRole("dialog", { name: "Send this invitation again?" });
  await expect(dialog).toContainText("The link sent before stops working.");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await checkA11y(page, "the resend confirmation");
  await shot(page, "team-resend-dialog", { viewport: true });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(resendButton(page)).toBeFocused();

  await resendButton(page).click();
  await dialog.getByRole("button", { name: "Resend invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "sent again" })).toHaveText(
    `The invitation was sent again to ${address} with a new link. The link sent before no longer works.`,
  );
  // Within the cooldown again: no Resend on the row; its link is the new one, which the new email carries.
  await expect(resendButton(page)).toHaveCount(0);
  await rowOf(page, address).getByRole("button", { name: `Copy link for ${address}` }).click();
  const renewed = await page.evaluate(() => navigator.clipboard.readText());
  expect(renewed).not.toBe(made.link);
  expect((await emailTo(address)).link).toBe(renewed);

  // The other manager's page still offers it: the API says too soon, and how long to wait.
  await resendButton(other).click();
  await other.getByRole("dialog").getByRole("button", { name: "Resend invitation" }).click();
  await expect(other.getByRole("status").filter({ hasText: "short while" })).toHaveText(
    "It was sent only a short while ago. You can send it again in 1 minute. Meanwhile you can copy its link.",
  );
  await expect(resendButton(other)).toHaveCount(0);
  await checkA11y(other, "resend too soon");
  await shot(other, "team-resend-too-soon");
  await other.context().close();

  // The old link names nothing now; the new one opens the invitation.
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(made.link);
  await expect(invitee.getByRole("heading", { level: 1 })).toHaveText("This link is not valid");
  await invitee.goto(renewed);
  await expect(invitee.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await invitee.context().close();
});

test("an expired invitation is renewed from its row: asked first, then open again with a new link by email", async ({ page }) => {
  test.setTimeout(150_000);
  const made: { id: string; email: string; link: string } =
    JSON.parse(process.env.RENEW_INVITATION ?? "null") ?? (await apiInvite(freshAddress("renew")));
  const address = made.email;
  expireInvitation(made.id);
  // Until the API offers it (run alone, this waits out the cooldown of its first email).
  await expect(async () => {
    const inv = (await apiList("owner", "status=expired&limit=100")).find((i) => i.id === made.id);
    expect(inv?.actions).toEqual(["resend"]);
  }).toPass({ timeout: 100_000, intervals: [1000] });

  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}?status=expired&limit=100`);
  const renew = rowOf(page, address).getByRole("button", { name: `Renew invitation to ${address}` });
  await renew.click();
  const dialog = page.getByRole("dialog", { name: "Renew this invitation?" });
  await expect(dialog).toContainText("Its history stays.");
  await checkA11y(page, "the renew confirmation");
  await shot(page, "team-renew-dialog", { viewport: true });
  await dialog.getByRole("button", { name: "Renew invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "open again" })).toHaveText(
    `The invitation to ${address} is open again, with a new link sent by email.`,
  );
  const open = (await apiList("owner", "status=open&limit=100")).find((i) => i.id === made.id);
  expect(open?.status).toBe("open");
  const mailed = (await emailTo(address)).link;
  expect(mailed).not.toBe(made.link);
  expect(mailed).toBe(open?.link);
});
