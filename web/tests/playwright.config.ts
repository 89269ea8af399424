// The browser suite: Playwright's runner driving the system's Chromium
// (/usr/bin/chromium, or CHROMIUM), headless, against the app that scripts/web
// serves and the stack that STACK_JSON describes. scripts/browser-test runs it.
import { defineConfig } from "@playwright/test";
import { APP, CHROMIUM } from "./stack";

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  globalSetup: "./global-setup.ts",
  // One browser at a time: a 2-core machine also runs the emulator and its functions.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: process.env.PLAYWRIGHT_OUTPUT_DIR ?? "../test-results",
  use: {
    baseURL: APP,
    headless: true,
    viewport: { width: 1280, height: 800 },
    locale: "en-GB",
    timezoneId: "UTC",
    permissions: ["clipboard-read", "clipboard-write"],
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      // Playwright adds --headless and a fresh temporary --user-data-dir per launch.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
