// Browser helpers: signing in on the identity provider's page, the axe-core
// check, and the screenshots written to docs/screenshots/.
import { expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { APP, stack, user, type UserName } from "./stack";

const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = resolve(process.env.SCREENSHOTS_DIR ?? join(here, "..", "..", "docs", "screenshots"));
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Fills the provider's sign-in form (Cognito's managed login page: username and
 * password) once the app has sent the browser there, and waits to be back. */
export async function signInOnProvider(page: Page, name: UserName, opts: { screenshot?: string } = {}): Promise<void> {
  await page.waitForURL((url) => url.pathname.endsWith("/oauth2/authorize"));
  expect(new URL(page.url()).origin).not.toBe(APP);
  if (opts.screenshot) await shot(page, opts.screenshot);
  await page.getByLabel("Username").fill(user(name).username);
  await page.getByLabel("Password").fill(stack.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === APP && url.pathname !== "/auth/callback");
}

/** Signs in from the start page with the header's button. */
export async function signIn(page: Page, name: UserName): Promise<void> {
  await page.goto("/");
  await page.getByRole("banner").getByRole("button", { name: "Sign in" }).click();
  await signInOnProvider(page, name);
  await expect(page.getByRole("banner")).toContainText(`Signed in as ${user(name).email}`);
}

/** axe-core on the page as it is now: no serious or critical violation. The
 * script is evaluated through the DevTools protocol, which the page's CSP does not govern. */
export async function checkA11y(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
    const r = await w.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad, `axe on ${what}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

/** The whole page, or (for a modal dialog, whose backdrop covers the viewport) what is in view. */
export async function shot(page: Page, name: string, opts: { viewport?: boolean } = {}): Promise<void> {
  await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: !opts.viewport,
    animations: "disabled",
    caret: "hide",
  });
}

/** The newest row of the invitations table for an address (the list is newest first;
 * an address invited again has older rows below). */
export function rowOf(page: Page, email: string) {
  return page.locator("tr", { has: page.getByRole("rowheader", { name: email, exact: true }) }).first();
}

/** Reloads until `check` passes: the list reads an index DynamoDB updates asynchronously. */
export async function eventually(page: Page, check: () => Promise<void>): Promise<void> {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout: 20_000, intervals: [250, 500, 1000] });
}
