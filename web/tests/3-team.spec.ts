// The team's page beyond the journey: withdrawing behind a confirmation, the invite
// form's answers, a member without members.manage, the filter and paging, the
// failed-email warning, keyboard use, CORS from the frontend's origin, signing out; an invitation with
// its own expiry and a personal note, which its page shows.
import { expect, test } from "@playwright/test";
import { checkA11y, eventually, rowOf, shot, signIn } from "./browser";
import { APP, apiInvite, apiList, apiListAll, emailTo, freshAddress, idToken, stack, TEAM, TEAM_NAME, user } from "./stack";

const teamPath = `/teams/${TEAM}`;

test("withdraw asks first: cancelled once, then confirmed; the link then says withdrawn", async ({ page, browser }) => {
  const address = freshAddress("withdraw");
  const inv = await apiInvite(address);
  await signIn(page, "owner");
  await page.goto(teamPath);
  await eventually(page, async () => {
    await expect(rowOf(page, address)).toContainText("Open", { timeout: 1000 });
  });

  const withdraw = rowOf(page, address).getByRole("button", { name: `Withdraw invitation for ${address}` });
  await withdraw.click();
  const dialog = page.getByRole("dialog", { name: "Withdraw this invitation?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`${address} will no longer be able to join ${TEAM_NAME}`);
  await expect(dialog.getByRole("button", { name: "Keep invitation" })).toBeFocused();
  await checkA11y(page, "the withdraw confirmation");
  await shot(page, "team-withdraw-dialog", { viewport: true });
  await dialog.getByRole("button", { name: "Keep invitation" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "kept" })).toHaveText(`The invitation for ${address} was kept.`);
  await expect(rowOf(page, address)).toContainText("Open");

  await withdraw.click();
  await dialog.getByRole("button", { name: "Withdraw invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "withdrawn" })).toHaveText(
    `The invitation for ${address} was withdrawn. Its link no longer works.`,
  );
  await expect(rowOf(page, address)).toContainText("Withdrawn");
  // Nothing left to do with it; its history stays readable.
  await expect(rowOf(page, address).getByRole("button")).toHaveText(["History"]);
  expect((await apiList("owner")).find((i) => i.id === inv.id)?.status).toBe("withdrawn");

  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(inv.link);
  await expect(invitee.getByRole("heading", { level: 1 })).toHaveText("This invitation was withdrawn");
  await expect(invitee.getByRole("button", { name: "Accept invitation" })).toHaveCount(0);
  await checkA11y(invitee, "the withdrawn invitation");
  await shot(invitee, "invitation-withdrawn");
  await invitee.context().close();
});

test("the invite form shows the API's 422 at the fields and explains 409s in words", async ({ page }) => {
  const open = freshAddress("twice");
  await apiInvite(open);
  await signIn(page, "owner");
  await page.goto(teamPath);
  const email = page.getByLabel("Email address");
  const role = page.getByLabel("Role");
  const send = page.getByRole("button", { name: "Send invitation", exact: true });

  await send.click();
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription("Enter the email address of the person to invite.");
  await expect(email).toBeFocused();

  // The roles offered are those GET /teams/{teamId}/roles marks grantable for the
  // caller: an owner may invite administrators and members, never owners.
  await expect(role.locator("option")).toHaveText(["Administrator", "Member"]);
  await expect(role).toHaveValue("member");
  await expect(role).toHaveAccessibleDescription("The roles you may invite people into in this team.");

  // 422 from the API: each error at its field.
  await email.fill("ada@");
  await send.click();
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription(/invalid/i);
  await expect(email).toBeFocused();
  await checkA11y(page, "the invite form with errors");
  await shot(page, "team-invite-errors");

  // 409 already_invited and already_member, in words.
  await email.fill(open);
  await role.selectOption("member");
  await send.click();
  await expect(email).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert")).toHaveText(
    `${open} already has an open invitation to this team. Copy its link from the list below to send it again, or withdraw it and invite again.`,
  );
  await email.fill(user("member").email);
  await send.click();
  await expect(page.getByRole("alert")).toHaveText(
    `${user("member").email} is already a member of this team, so there is nothing to invite them to.`,
  );

  // An administrator is a role an owner may grant.
  const admin = freshAddress("administrator");
  await email.fill(admin);
  await role.selectOption("administrator");
  await send.click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(
    `Invitation sent to ${admin} as Administrator.`,
  );
  await expect(rowOf(page, admin)).toContainText("Administrator");
});

test("a member without members.manage sees the list without invite, copy, resend or withdraw", async ({ page }) => {
  const address = freshAddress("seen-by-member");
  await apiInvite(address);
  await signIn(page, "member");
  await page.goto(teamPath);
  await eventually(page, async () => {
    await expect(rowOf(page, address)).toContainText("Open", { timeout: 1000 });
  });
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: invitations`);
  await expect(page.getByRole("heading", { name: "Invite someone" })).toHaveCount(0);
  await expect(page.getByLabel("Email address")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Copy link|Resend|Withdraw)/ })).toHaveCount(0);
  await expect(page.getByRole("columnheader", { name: "Actions" })).toHaveCount(0);
  await checkA11y(page, "the team's invitations (member)");
  await shot(page, "team-member");
});

test("the status filter and paging with the API's cursor", async ({ page }) => {
  for (let i = 0; i < 3; i++) await apiInvite(freshAddress(`page${i}`));
  await signIn(page, "owner");
  await page.goto(`${teamPath}?limit=2`);
  const rows = page.locator("table.invitations tbody tr");
  await expect(rows).toHaveCount(2);
  const first = await rows.locator("th").allTextContents();
  const next = page.getByRole("button", { name: "Next page" });
  const previous = page.getByRole("button", { name: "Previous page" });
  await expect(previous).toBeDisabled();
  await next.click();
  await expect(page.getByText("Page 2", { exact: true })).toBeVisible();
  await expect(rows.first()).not.toHaveText(/^$/);
  const second = await rows.locator("th").allTextContents();
  expect(second.some((e) => first.includes(e))).toBe(false);
  await expect(previous).toBeEnabled();
  await previous.click();
  await expect(page.getByText("Page 1", { exact: true })).toBeVisible();
  expect(await rows.locator("th").allTextContents()).toEqual(first);

  // Newest first, on every page: the list is in the API's order.
  await page.getByLabel("Show").selectOption("open");
  await page.getByRole("button", { name: "Apply filter" }).click();
  await expect(page).toHaveURL(`${APP}${teamPath}?status=open&limit=2`);
  await expect(rows).toHaveCount(2);
  for (const r of await rows.all()) await expect(r).toContainText("Open");
  await page.getByLabel("Show").selectOption("declined");
  await page.getByRole("button", { name: "Apply filter" }).click();
  await expect(page).toHaveURL(`${APP}${teamPath}?status=declined&limit=2`);
  for (const r of await rows.all()) await expect(r).toContainText("Declined");
});

test("a failed email is a visible warning on its row (the list answer altered in the browser)", async ({ page }) => {
  // The emulator's SES does not fail on demand: this rewrites one invitation of the
  // API's answer to emailDelivery "failed" and checks what the page makes of it.
  const address = freshAddress("bounced");
  await apiInvite(address);
  await signIn(page, "owner");
  await page.route(`${stack.api}/teams/${TEAM}/invitations*`, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const inv of body.invitations ?? []) if (inv.email === address) inv.emailDelivery = "failed";
    await route.fulfill({ response, json: body });
  });
  await page.goto(teamPath);
  await eventually(page, async () => {
    await expect(rowOf(page, address)).toContainText("Failed: the email did not go out. Copy the link and send it yourself.", {
      timeout: 1000,
    });
  });
  await checkA11y(page, "a failed email");
  await shot(page, "team-email-failed");
});

test("the team's limits in words (the API's 429 rate_limited answers replayed in the browser)", async ({ page }) => {
  // The deployed stack's limits are far above what the suite sends: this answers
  // the invite as the API does at each limit, and checks what the page says.
  await signIn(page, "owner");
  let limit = "openInvitations";
  await page.route(`${stack.api}/teams/${TEAM}/invitations`, async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const retry = limit === "openInvitations" ? 86400 : 1500;
    await route.fulfill({
      status: 429,
      headers: {
        "content-type": "application/problem+json",
        "retry-after": String(retry),
        "access-control-allow-origin": APP,
        "access-control-expose-headers": "retry-after",
      },
      json: {
        type: "urn:invitations:problem:rate_limited",
        title: "Too many invitations",
        status: 429,
        code: "rate_limited",
        detail: "The team's limit is reached.",
        limit,
        retryAfterSeconds: retry,
      },
    });
  });
  await page.goto(teamPath);
  const address = freshAddress("limited");
  await page.getByLabel("Email address").fill(address);
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText(
    `This team has as many open invitations as it may have. Withdraw those no longer needed, then invite ${address}.`,
  );
  limit = "emailsPerHour";
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText(
    `This team has sent as many invitation emails as it may in an hour. You can invite ${address} in 25 minutes.`,
  );
});

test("keyboard only: skip link, invite, and the withdraw dialog with Escape; focus is visible", async ({ page }) => {
  await signIn(page, "owner");
  await page.goto(teamPath);
  await expect(page.getByLabel("Email address")).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();
  const focusRing = () =>
    page.evaluate(() => {
      const s = getComputedStyle(document.activeElement as Element);
      return s.outlineStyle !== "none" && s.outlineWidth !== "0px";
    });

  // From the main content, Tab reaches the team's pages, the email field, the role, the language, how long it
  // stays open, the note, the button.
  const address = freshAddress("keyboard");
  const nav = page.getByRole("navigation", { name: "Team" });
  await page.keyboard.press("Tab");
  await expect(nav.getByRole("link", { name: "Invitations" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(nav.getByRole("link", { name: "Members" })).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Tab");
  await expect(nav.getByRole("link", { name: "Invite links" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email address")).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.type(address);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Role")).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Language (optional)")).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Open for")).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Personal note (optional)")).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Send invitation", exact: true })).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(
    `Invitation sent to ${address} as Member.`,
  );

  const withdraw = rowOf(page, address).getByRole("button", { name: `Withdraw invitation for ${address}` });
  // Tab on until the row's Withdraw button has the focus: reachable by keyboard.
  for (let i = 0; i < 80 && !(await withdraw.evaluate((b) => b === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(withdraw).toBeFocused();
  expect(await focusRing()).toBe(true);
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Keep invitation" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(withdraw).toBeFocused();
  await expect(rowOf(page, address)).toContainText("Open");
});

test("CORS: the app on its origin calls the API on another; a page on any other origin cannot", async ({ page, browser }) => {
  const answers: { url: string; allowOrigin: string | null; auth: boolean }[] = [];
  page.on("response", (r) => {
    if (r.url().startsWith(stack.api)) {
      answers.push({
        url: r.url(),
        allowOrigin: r.headers()["access-control-allow-origin"] ?? null,
        auth: !!r.request().headers()["authorization"],
      });
    }
  });
  await signIn(page, "owner");
  await page.goto(teamPath);
  await expect(page.locator("table.invitations")).toBeVisible();
  expect(new URL(stack.api).origin).not.toBe(APP);
  expect(answers.length).toBeGreaterThan(0);
  for (const a of answers) expect(a).toMatchObject({ allowOrigin: APP, auth: true });

  // The same server under another name is another origin: the API's CORS refuses it.
  const elsewhere = APP.replace("localhost", "127.0.0.1");
  test.skip(elsewhere === APP, "APP_BASE_URL is not on localhost: no second origin to try");
  const other = await (await browser.newContext()).newPage();
  await other.goto(elsewhere + "/");
  const token = await idToken("owner");
  const outcome = await other.evaluate(
    async ([url, bearer]) => {
      try {
        const r = await fetch(url, { headers: { Authorization: `Bearer ${bearer}` } });
        return `answered ${r.status}`;
      } catch (e) {
        return `refused: ${(e as Error).message}`;
      }
    },
    [`${stack.api}/teams/${TEAM}/invitations`, token] as const,
  );
  expect(outcome).toMatch(/^refused/);
  await other.context().close();
});

test("signing out ends the session here and at the identity provider", async ({ page }) => {
  await signIn(page, "owner");
  await page.goto(teamPath);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${APP}/signed-out`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("You're signed out");
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign in" })).toBeVisible();
  await checkA11y(page, "the signed-out page");
  await shot(page, "signed-out");
  await page.goto(teamPath);
  await expect(page.getByText("Sign in to see this team's invitations.")).toBeVisible();
  await expect(page.locator("table.invitations")).toHaveCount(0);
});

test("an invitation open for three days with a personal note: the email and the invitation page show both", async ({ page, browser }) => {
  await signIn(page, "owner");
  await page.goto(teamPath);
  const address = freshAddress("noted");
  await page.getByLabel("Email address").fill(address);
  await page.getByLabel("Open for").selectOption("3");
  const note = "Welcome aboard!\nWe start on Monday at <b>nine</b>.";
  await page.getByLabel("Personal note (optional)").fill(note);
  await checkA11y(page, "the invite form with a note");
  await shot(page, "team-invite-note");
  await page.getByRole("button", { name: "Send invitation", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(`Invitation sent to ${address} as Member.`);
  await expect(page.getByLabel("Personal note (optional)")).toHaveValue("");
  const inv = (await apiListAll("owner", "status=open")).find((i) => i.email === address);
  expect(inv).toBeDefined();
  const days = (Date.parse(inv!.expiresAt) - Date.parse(inv!.createdAt)) / 86_400_000;
  expect(days).toBe(3);

  const mail = await emailTo(address);
  expect(mail.text).toContain("added a note:\n> Welcome aboard!\n> We start on Monday at <b>nine</b>.");
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(mail.link);
  const figure = invitee.locator("figure.note");
  await expect(figure.locator("figcaption")).toHaveText(`A note from ${user("owner").email}:`);
  await expect(figure.locator("blockquote")).toHaveText(note.replace("\n", "\n"), { useInnerText: true });
  await expect(figure.locator("b")).toHaveCount(0);
  await checkA11y(invitee, "the invitation page with a note");
  await shot(invitee, "invitation-note");
});
