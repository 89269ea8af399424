// The app: a router over the History API, a header with the signed-in user, and
// one render function per page. No framework: the pages are a few forms and a table.

import { loadConfig } from "./config";
import { session, signIn, signOut } from "./auth";
import { h, replace } from "./dom";
import { messages, type Lang } from "./i18n";
import { homePage, signedOutPage, notFoundPage } from "./pages/home";
import { callbackPage } from "./pages/callback";
import { teamPage } from "./pages/team";
import { membersPage } from "./pages/members";
import { myInvitationsPage } from "./pages/mine";
import { invitationPage } from "./pages/invitation";
import { linksPage } from "./pages/links";
import { joinPage } from "./pages/join";

export interface PageContext {
  main: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Sets the page's title (document title too) and returns its <h1>. */
  heading(text: string): HTMLHeadingElement;
  /** Renders the header again (after signing in or out). */
  refreshHeader(): void;
  /** The page's language (<html lang>, the header and skip link); English unless a page says otherwise. */
  setLanguage(lang: Lang): void;
}

type Page = (ctx: PageContext) => void | Promise<void>;

const routes: [RegExp, string[], Page][] = [
  [/^\/$/, [], homePage],
  [/^\/auth\/callback$/, [], callbackPage],
  [/^\/signed-out$/, [], signedOutPage],
  [/^\/teams\/([^/]+)\/?$/, ["teamId"], teamPage],
  [/^\/teams\/([^/]+)\/members\/?$/, ["teamId"], membersPage],
  [/^\/teams\/([^/]+)\/links\/?$/, ["teamId"], linksPage],
  [/^\/join\/([^/]+)\/([^/]+)\/?$/, ["teamId", "linkId"], joinPage],
  [/^\/invitations\/([^/]+)\/?$/, ["invitationId"], invitationPage],
  [/^\/me\/invitations\/?$/, [], myInvitationsPage],
];

const APP = "Team invitations";
let renders = 0;
/** The page shown: its path and query, and the link token an invitation's
 * fragment carried (a newer link opened in the same tab is another page; any
 * other fragment, the skip link's, is not). */
let rendered = { path: "", token: null as string | null };

function fragmentToken(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get("token");
}

/** Replaces the address without a new page (the invitation page moving an old
 * link's token out of the query). */
export function replaceAddress(to: string): void {
  history.replaceState(history.state, "", to);
  rendered = { path: location.pathname + location.search, token: fragmentToken() };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  void render();
}

let lang: Lang = "en";

function applyLanguage(to: Lang): void {
  lang = to;
  document.documentElement.lang = to;
  const skip = document.querySelector(".skip-link");
  if (skip) skip.textContent = messages(to).skipToContent;
}

function header(): HTMLElement {
  const s = session();
  const m = messages(lang);
  const here = location.pathname + location.search;
  return h(
    "div",
    { class: "bar" },
    h("a", { href: "/", class: "brand" }, APP),
    h(
      "div",
      { class: "who" },
      s
        ? [
            h(
              "a",
              { href: "/me/invitations", "aria-current": location.pathname === "/me/invitations" ? "page" : null },
              m.myInvitations,
            ),
            h("span", null, `${m.signedInAs} `, h("strong", null, s.email)),
            h("button", { type: "button", class: "button secondary small", onclick: () => signOut() }, m.signOut),
          ]
        : h(
            "button",
            { type: "button", class: "button secondary small", onclick: () => void signIn(here, { uiLocales: lang }) },
            m.signIn,
          ),
    ),
  );
}

async function render(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  const top = document.getElementById("top") as HTMLElement;
  const path = decodeURI(location.pathname);
  let page: Page = notFoundPage;
  const params: Record<string, string> = {};
  for (const [re, names, p] of routes) {
    const m = re.exec(path);
    if (m) {
      page = p;
      names.forEach((n, i) => (params[n] = m[i + 1]));
      break;
    }
  }
  renders += 1;
  rendered = { path: location.pathname + location.search, token: fragmentToken() };
  const first = renders === 1;
  applyLanguage("en");
  replace(top, header());
  replace(main);
  main.setAttribute("aria-busy", "true");
  const ctx: PageContext = {
    main,
    params,
    query: new URLSearchParams(location.search),
    heading(text: string) {
      document.title = `${text} · ${APP}`;
      const h1 = h("h1", { tabindex: "-1" }, text);
      return h1;
    },
    refreshHeader() {
      replace(top, header());
    },
    setLanguage(to: Lang) {
      if (to === lang) return;
      applyLanguage(to);
      replace(top, header());
    },
  };
  try {
    await page(ctx);
  } finally {
    main.removeAttribute("aria-busy");
  }
  // After an in-app navigation, focus moves to the new page's heading, as a page load would.
  if (!first) main.querySelector<HTMLElement>("h1")?.focus();
}

function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  // A link within the page (the skip link) is the browser's to follow; one
  // carrying an invitation link's token is a page of its own ("try again").
  const inPage = url.hash && !url.hash.startsWith("#token=");
  if (inPage && url.pathname === location.pathname && url.search === location.search) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

async function start(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  try {
    await loadConfig();
  } catch (err) {
    replace(
      main,
      h("h1", null, "This app is not configured"),
      h("p", null, `It could not read its configuration (${(err as Error).message}).`),
    );
    return;
  }
  document.addEventListener("click", onLinkClick);
  // Back and forward; a fragment change (the skip link) fires popstate too, and is
  // not a new page, unless it carries another invitation link's token.
  window.addEventListener("popstate", () => {
    const token = fragmentToken();
    const moved = location.pathname + location.search !== rendered.path;
    if (moved || (token !== null && token !== rendered.token)) void render();
  });
  await render();
}

void start();
