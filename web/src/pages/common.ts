// What the signed-in pages share: the sign-in prompt for a visitor without a
// session (or whose session ended), and the pager's controls.
import { signIn } from "../auth";
import { h } from "../dom";

/** A "Sign in" button that comes back to this page (the path and its query). */
export function signInButton(): HTMLElement {
  return h(
    "button",
    { type: "button", class: "button", onclick: () => void signIn(location.pathname + location.search) },
    "Sign in",
  );
}

/** What a page shows a visitor who is not signed in: why, and the button. */
export function signInPrompt(why: string): HTMLElement[] {
  return [h("p", null, why), h("p", null, signInButton())];
}

/** A list's pager: previous, the page number, next; `turn` moves by one page. */
export function pagerControls(pageIndex: number, hasNext: boolean, turn: (step: 1 | -1) => void): HTMLElement[] {
  const prev = h("button", { type: "button", class: "button secondary", disabled: pageIndex === 0 }, "Previous page");
  const next = h("button", { type: "button", class: "button secondary", disabled: !hasNext }, "Next page");
  prev.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  return [prev, h("span", { class: "page-number" }, `Page ${pageIndex + 1}`), next];
}
