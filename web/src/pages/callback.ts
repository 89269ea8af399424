import type { PageContext } from "../main";
import { navigate } from "../main";
import { completeSignIn, signIn } from "../auth";
import { append, h } from "../dom";

/** The identity provider sends the browser back here with ?code=&state=. */
export async function callbackPage(ctx: PageContext): Promise<void> {
  const status = h("p", { role: "status" }, "Signing you in…");
  append(ctx.main, [ctx.heading("Signing in"), status]);
  try {
    const next = await completeSignIn(ctx.query);
    navigate(next, { replace: true });
  } catch (err) {
    ctx.main.replaceChildren();
    append(ctx.main, [
      ctx.heading("Sign-in failed"),
      h("p", { role: "alert", class: "notice notice-error" }, (err as Error).message),
      h("p", null, h("button", { type: "button", class: "button", onclick: () => void signIn("/") }, "Sign in again")),
    ]);
  }
}
