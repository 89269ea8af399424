// The team's members: an owner removes a member behind a confirmation (kept once,
// then removed), is refused leaving as the last owner (409 last_owner) and an
// administrator removing an owner (403), both in words; a member without
// members.manage sees the list without Remove, with Leave on their own row, and
// leaves; an owner changes a member's role in place and back, and is refused
// stepping down as the last owner, in words; paging with the API's cursor; a team's
// seats shown to its manager, and an invite beyond them refused in words.
import { expect, test, type Page } from "@playwright/test";
import { checkA11y, shot, signIn } from "./browser";
import { apiMembers, ensureMember, freshAddress, seatsTaken, setSeats, TEAM, TEAM_NAME, user } from "./stack";

const membersPath = `/teams/${TEAM}/members`;

function memberRow(page: Page, email: string) {
  return page.locator("tr", { has: page.getByRole("rowheader", { name: new RegExp(`^${email.replace(/[.+]/g, "\\$&")}`) }) });
}

test("an owner removes a member after a confirmation; the last owner cannot leave", async ({ page }) => {
  // A member who joined by accepting an invitation (the journey's, or one accepted now).
  await ensureMember("ada");
  const ada = user("ada").email;
  await signIn(page, "owner");
  await page.goto(`/teams/${TEAM}`);
  await page.getByRole("navigation", { name: "Team" }).getByRole("link", { name: "Members" }).click();
  await expect(page).toHaveURL(new RegExp(`${membersPath}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${TEAM_NAME}: members`);
  await expect(page.getByRole("link", { name: "Members" })).toHaveAttribute("aria-current", "page");
  await expect(memberRow(page, ada)).toContainText("Member");
  await expect(memberRow(page, ada).locator("time")).toBeVisible();
  await expect(memberRow(page, user("owner").email)).toContainText("(you)");
  await expect(memberRow(page, user("owner").email)).toContainText("Owner");
  await checkA11y(page, "the team's members (owner)");
  await shot(page, "members-manager");

  const remove = memberRow(page, ada).getByRole("button", { name: `Remove ${ada} from the team` });
  await remove.click();
  const dialog = page.getByRole("dialog", { name: `Remove ${ada} from ${TEAM_NAME}?` });
  await expect(dialog).toContainText(`${ada} loses access to ${TEAM_NAME} at once.`);
  await expect(dialog.getByRole("button", { name: "Keep member" })).toBeFocused();
  await checkA11y(page, "the remove confirmation");
  await shot(page, "members-remove-dialog", { viewport: true });
  await dialog.getByRole("button", { name: "Keep member" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "stays" })).toHaveText(`${ada} stays a member of ${TEAM_NAME}.`);
  await expect(memberRow(page, ada)).toHaveCount(1);

  await remove.click();
  await dialog.getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByRole("status").filter({ hasText: "removed" })).toHaveText(`${ada} was removed from ${TEAM_NAME}.`);
  await expect(memberRow(page, ada)).toHaveCount(0);
  await page.reload();
  await expect(memberRow(page, user("owner").email)).toBeVisible();
  await expect(memberRow(page, ada)).toHaveCount(0);
  expect((await apiMembers()).map((m) => m.email)).not.toContain(ada);

  // The owner leaving: the team's last owner stays (409 last_owner), said in words.
  const owner = user("owner").email;
  await memberRow(page, owner).getByRole("button", { name: `Leave ${TEAM_NAME}` }).click();
  const leave = page.getByRole("dialog", { name: `Leave ${TEAM_NAME}?` });
  await leave.getByRole("button", { name: "Leave team" }).click();
  await expect(page.getByRole("status").filter({ hasText: "did not leave" })).toHaveText(
    `You did not leave ${TEAM_NAME}: a team always keeps at least one owner, and you are the only one. Invite someone else as an owner first.`,
  );
  await expect(memberRow(page, owner)).toBeVisible();
  await checkA11y(page, "the last owner refused");
  await shot(page, "members-last-owner");
});

test("an administrator may not remove an owner (403), said in words", async ({ page }) => {
  const owner = user("owner").email;
  await signIn(page, "admin");
  await page.goto(membersPath);
  // No role to choose where the administrator could not grant it.
  await expect(memberRow(page, owner).getByRole("combobox")).toHaveCount(0);
  await memberRow(page, owner).getByRole("button", { name: `Remove ${owner} from the team` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByRole("status").filter({ hasText: "not removed" })).toHaveText(
    `${owner} was not removed: your role cannot remove a member who is an Owner. You can remove only members whose role you could invite people into.`,
  );
  await expect(memberRow(page, owner)).toBeVisible();
});

test("a member without members.manage sees the members without Remove; paging with the API's cursor", async ({ page }) => {
  await signIn(page, "member");
  await page.goto(membersPath);
  await expect(memberRow(page, user("owner").email)).toBeVisible();
  await expect(memberRow(page, user("member").email)).toContainText("(you)");
  await expect(page.getByRole("button", { name: /^Remove/ })).toHaveCount(0);
  await expect(page.getByRole("combobox")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Leave/ })).toHaveCount(1);
  await expect(memberRow(page, user("member").email).getByRole("button", { name: `Leave ${TEAM_NAME}` })).toBeVisible();
  await checkA11y(page, "the team's members (member)");
  await shot(page, "members-member");

  await page.goto(`${membersPath}?limit=2`);
  const rows = page.locator("table.members tbody tr");
  await expect(rows).toHaveCount(2);
  const first = await rows.locator("th").allTextContents();
  await page.getByRole("button", { name: "Next page" }).click();
  await expect(page.getByText("Page 2", { exact: true })).toBeVisible();
  const second = await rows.locator("th").allTextContents();
  expect(second.length).toBeGreaterThan(0);
  expect(second.some((e) => first.includes(e))).toBe(false);
  await page.getByRole("button", { name: "Previous page" }).click();
  await expect(page.getByText("Page 1", { exact: true })).toBeVisible();
  expect(await rows.locator("th").allTextContents()).toEqual(first);
});

test("a member leaves the team after a confirmation, and no longer sees it", async ({ page }) => {
  await ensureMember("ada");
  const ada = user("ada").email;
  await signIn(page, "ada");
  await page.goto(membersPath);
  await expect(memberRow(page, ada)).toContainText("(you)");
  await expect(page.getByRole("button", { name: /^Remove/ })).toHaveCount(0);
  await memberRow(page, ada).getByRole("button", { name: `Leave ${TEAM_NAME}` }).click();
  const dialog = page.getByRole("dialog", { name: `Leave ${TEAM_NAME}?` });
  await expect(dialog).toContainText(`You lose access to ${TEAM_NAME} at once.`);
  await dialog.getByRole("button", { name: "Stay" }).click();
  await expect(page.getByRole("status").filter({ hasText: "stays" })).toHaveText(`${ada} stays a member of ${TEAM_NAME}.`);

  await memberRow(page, ada).getByRole("button", { name: `Leave ${TEAM_NAME}` }).click();
  await dialog.getByRole("button", { name: "Leave team" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You left" })).toHaveText(`You left ${TEAM_NAME}.`);
  await expect(page.locator("table.members")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Back to the start page" })).toBeVisible();
  await checkA11y(page, "a member who left");
  await shot(page, "members-left");
  expect((await apiMembers()).map((m) => m.email)).not.toContain(ada);
  await page.reload();
  await expect(page.getByText("You are not a member of this team")).toBeVisible();
});

test("an owner changes a member's role in place and back; the last owner stays one, said in words", async ({ page }) => {
  const member = user("member").email;
  const owner = user("owner").email;
  await signIn(page, "owner");
  await page.goto(membersPath);
  const select = memberRow(page, member).getByRole("combobox", { name: `Role of ${member}` });
  await expect(select).toHaveValue("member");
  await select.selectOption("administrator");
  await expect(page.getByRole("status").filter({ hasText: "is now" })).toHaveText(`${member} is now an Administrator.`);
  expect((await apiMembers()).find((m) => m.email === member)?.role).toBe("administrator");
  await checkA11y(page, "a role changed");
  await shot(page, "members-role-changed");
  await select.selectOption("member");
  await expect(page.getByRole("status").filter({ hasText: "is now" })).toHaveText(`${member} is now a Member.`);
  expect((await apiMembers()).find((m) => m.email === member)?.role).toBe("member");

  const own = memberRow(page, owner).getByRole("combobox", { name: `Role of ${owner}` });
  await own.selectOption("administrator");
  await expect(page.getByRole("status").filter({ hasText: "stays an Owner" })).toHaveText(
    `${owner} stays an Owner: a team always keeps at least one owner, and ${owner} is the only one. Invite someone else as an owner first.`,
  );
  await expect(own).toHaveValue("owner");
});

test("a manager sees the team's seats, and an invite beyond them is refused in words", async ({ page }) => {
  const taken = await seatsTaken();
  setSeats(taken + 1);
  try {
    await signIn(page, "owner");
    await page.goto(membersPath);
    const seats = page.locator(".seats p");
    await expect(seats).toContainText(`Seats: ${taken} of ${taken + 1} taken`);
    await expect(seats).toContainText("1 seat free.");
    await checkA11y(page, "the members page with seats");

    // The last seat goes to an invitation; the next invite is refused.
    await page.goto(`/teams/${TEAM}`);
    const email = page.getByLabel("Email address");
    const send = page.getByRole("button", { name: "Send invitation", exact: true });
    await email.fill(freshAddress("last-seat"));
    await send.click();
    await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toBeVisible();
    const beyond = freshAddress("no-seat");
    await email.fill(beyond);
    await send.click();
    await expect(page.getByRole("alert")).toHaveText(
      `Every seat of this team is taken by its members and open invitations, so ${beyond} cannot be invited. Withdraw an open invitation or remove a member to free a seat, or ask for more seats.`,
    );
    await checkA11y(page, "an invite beyond the seats");

    await page.goto(membersPath);
    await expect(seats).toContainText(`Seats: ${taken + 1} of ${taken + 1} taken`);
    await expect(seats).toContainText("none free.");
    await shot(page, "members-seats");
  } finally {
    setSeats("none");
  }
});
