// A confirmation in a native modal <dialog>: it traps focus, closes on Escape,
// and gives focus back to what opened it. Focus starts on the safe choice.

import { h } from "./dom";

export interface ConfirmOptions {
  title: string;
  body: string;
  confirm: string;
  cancel: string;
}

export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = "confirm-title";
    const bodyId = "confirm-body";
    const cancel = h("button", { type: "button", class: "button secondary", autofocus: true }, opts.cancel);
    const ok = h("button", { type: "button", class: "button danger" }, opts.confirm);
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId, "aria-describedby": bodyId },
      h("h2", { id: titleId }, opts.title),
      h("p", { id: bodyId }, opts.body),
      h("div", { class: "actions" }, cancel, ok),
    );
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => done(false));
    ok.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
