// The invitation link's page beyond the journey: declining behind a confirmation,
// the one "not valid" page for a wrong link, an expired invitation, unknown paths.
import { expect, test } from "@playwright/test";
import { checkA11y, eventually, rowOf, shot, signIn } from "./browser";
import {
  apiInvite,
  apiList,
  emailTo,
  expireInvitation,
  freshAddress,
  reservedConcurrency,
  stackResource,
  TEAM,
  TEAM_NAME,
  user,
} from "./stack";

test("decline needs no sign-in and asks first; the team then sees it declined", async ({ page, browser }) => {
  const address = freshAddress("decline");
  const inv = await apiInvite(address);
  await page.goto(inv.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);

  await page.getByRole("button", { name: "Decline" }).click();
  const dialog = page.getByRole("dialog", { name: "Decline this invitation?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Keep invitation" })).toBeFocused();
  await checkA11y(page, "the decline confirmation");
  await shot(page, "invitation-decline-dialog", { viewport: true });
  await dialog.getByRole("button", { name: "Keep invitation" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);

  await page.getByRole("button", { name: "Decline" }).click();
  await dialog.getByRole("button", { name: "Decline invitation" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Invitation declined");
  await expect(page.getByRole("status")).toHaveText(
    `You declined the invitation to join ${TEAM_NAME}. ${TEAM_NAME} will see it as declined.`,
  );
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign in" })).toBeVisible();

  // Opened again later (the same address in the same tab would only move to
  // its fragment: the link's token is there), it says so.
  await page.goto("about:blank");
  await page.goto(inv.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation was declined");
  await expect(page.getByRole("button", { name: "Accept invitation" })).toHaveCount(0);
  await checkA11y(page, "a declined invitation");
  await shot(page, "invitation-declined");

  const manager = await (await browser.newContext()).newPage();
  await signIn(manager, "owner");
  await manager.goto(`/teams/${TEAM}?status=declined`);
  await eventually(manager, async () => {
    await expect(rowOf(manager, address)).toContainText("Declined", { timeout: 1000 });
  });
  await manager.context().close();
});

test("a tampered, truncated or missing token, or an unknown invitation: one 'not valid' page", async ({ page }) => {
  const inv = await apiInvite(freshAddress("tamper"));
  const url = new URL(inv.link);
  const token = new URLSearchParams(url.hash.slice(1)).get("token") ?? "";
  expect(url.search, "the token is in the fragment, which no server sees").toBe("");
  const flipped = token.slice(0, 5) + (token[5] === "A" ? "B" : "A") + token.slice(6);
  const wrong = [
    `${url.pathname}#token=${flipped}`,
    `${url.pathname}#token=${token.slice(0, 20)}`,
    url.pathname,
    `/invitations/00000000-0000-4000-8000-000000000000#token=${token}`,
    `/invitations/not-an-id#token=${token}`,
  ];
  for (const path of wrong) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 }), path).toHaveText("This link is not valid");
    await expect(page.getByRole("button", { name: "Accept invitation" })).toHaveCount(0);
  }
  await checkA11y(page, "the not-valid page");
  await shot(page, "invitation-invalid");

  // The real link still works.
  await page.goto(inv.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);

  // A link sent before tokens moved to the fragment still works, and its token
  // leaves the address at once (a reload no longer sends it to the site).
  await page.goto(`${url.pathname}?token=${token}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  expect(new URL(page.url()).search).toBe("");
  expect(new URL(page.url()).hash).toBe(`#token=${token}`);
});

test("an invitation that expired: its link says so, answering it is refused, the team sees it expired", async ({ page, browser }) => {
  const address = freshAddress("expired");
  const inv = await apiInvite(address);
  // Opened while open; then its week passes (invitations-admin expire-invitation, development only).
  await page.goto(inv.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  expireInvitation(inv.id);

  // Declining it now: the API answers 410 invitation_expired, and the page shows what the invitation is.
  await page.getByRole("button", { name: "Decline" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Decline invitation" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation has expired");

  // The link opened afresh (from elsewhere: in the same tab, the same address
  // would only move to its fragment).
  await page.goto("about:blank");
  await page.goto(inv.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This invitation has expired");
  await expect(page.getByText(`Ask someone at ${TEAM_NAME} to send you a new invitation.`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Accept invitation" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Decline" })).toHaveCount(0);
  await checkA11y(page, "the expired page");
  await shot(page, "invitation-expired");

  const manager = await (await browser.newContext()).newPage();
  await signIn(manager, "owner");
  await manager.goto(`/teams/${TEAM}?status=expired`);
  await eventually(manager, async () => {
    await expect(rowOf(manager, address)).toContainText("Expired", { timeout: 1000 });
  });
  // Its history stays readable, and the team may renew it (6-resend.spec.ts renews one).
  await expect(rowOf(manager, address).getByRole("button")).toHaveText(["History", "Renew"]);
  await manager.context().close();
});

test("the invitation page speaks the invitation's language: German (chosen on the invite form), English for others", async ({ page, browser }) => {
  const address = freshAddress("deutsch");
  const manager = await (await browser.newContext()).newPage();
  await signIn(manager, "owner");
  await manager.goto(`/teams/${TEAM}`);
  await manager.getByLabel("Email address").fill(address);
  await manager.getByLabel("Language (optional)").selectOption("de");
  await manager.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(manager.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(`Invitation sent to ${address} as Member.`);
  await manager.context().close();
  expect((await apiList("owner")).find((i) => i.email === address)?.locale).toBe("de");

  await page.goto((await emailTo(address)).link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME} beitreten`);
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByText(`Sie sind eingeladen, ${TEAM_NAME} als Mitglied beizutreten.`)).toBeVisible();
  const details = page.locator("dl.details");
  await expect(details.locator("dt")).toHaveText(["Team", "Rolle", "Eingeladene Adresse", "Eingeladen von", "Gesendet", "Gültig bis"]);
  await expect(details).toContainText(user("owner").email);
  await expect(page.getByRole("banner").getByRole("button", { name: "Anmelden" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Zum Inhalt springen" })).toBeAttached();
  await checkA11y(page, "the invitation in German");
  await shot(page, "invitation-preview-de");

  await page.getByRole("button", { name: "Ablehnen" }).click();
  const dialog = page.getByRole("dialog", { name: "Diese Einladung ablehnen?" });
  await expect(dialog.getByRole("button", { name: "Einladung behalten" })).toBeFocused();
  await dialog.getByRole("button", { name: "Einladung behalten" }).click();
  await page.getByRole("button", { name: "Ablehnen" }).click();
  await dialog.getByRole("button", { name: "Einladung ablehnen" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Einladung abgelehnt");
  await expect(page.getByRole("status")).toHaveText(
    `Sie haben die Einladung zu ${TEAM_NAME} abgelehnt. ${TEAM_NAME} sieht sie als abgelehnt.`,
  );

  // A German region, expired: the expired page in German.
  const austrian = await apiInvite(freshAddress("oesterreich"), "member", "de-AT");
  expireInvitation(austrian.id);
  await page.goto(austrian.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Diese Einladung ist abgelaufen");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");

  // Any other language: English (the email speaks English then too).
  const french = await apiInvite(freshAddress("francais"), "member", "fr");
  await page.goto(french.link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.locator("dl.details")).toContainText(`Invited by${user("owner").email}`);
});

test("any other path gets the app (index.html), which says the page does not exist", async ({ page }) => {
  const res = await page.goto("/no/such/page");
  expect(res?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await checkA11y(page, "the not-found page");
  await page.getByRole("link", { name: "Go to the start page" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Team invitations");
  await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
});

test("when invitation links are throttled, the page offers to sign in and accept from My invitations", async ({ page }) => {
  // The anonymous routes share a throttle that one client can use up; then every
  // link answers 429. Here Lambda throttles the function behind them (reserved
  // concurrency 0), and the gateway answers 429 as it would.
  const inv = await apiInvite(freshAddress("busy"));
  const respond = await stackResource("RespondFunction");
  await reservedConcurrency(respond, 0);
  try {
    await page.goto(inv.link);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Invitation pages are busy right now");
    await expect(page.getByRole("alert")).toContainText("Your invitation is not lost.");
    await expect(page.getByRole("button", { name: "Sign in and see my invitations" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Or try this link again in a minute." })).toBeVisible();
    await checkA11y(page, "the busy invitation page");
    await shot(page, "invitation-busy");
  } finally {
    await reservedConcurrency(respond, null);
  }
  // Once the throttle lets go, trying again shows the invitation.
  await page.getByRole("link", { name: "Or try this link again in a minute." }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Join ${TEAM_NAME}`);
});
