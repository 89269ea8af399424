// A confirmation in a native modal <dialog>: it traps focus, closes on Escape,
// and gives focus back to what opened it. Focus starts on the safe choice.
// showDialog: the same modal for something to read (no choice), with Close.

import { h, uid, type Child } from "./dom";

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

export interface ShowOptions {
  title: string;
  content: Child;
  close?: string;
}

/** A modal <dialog> that shows something to read: labelled by its heading, focus on
 * Close, Escape closes it, and focus goes back to what had it before. Resolves when closed. */
export function showDialog(opts: ShowOptions): Promise<void> {
  return new Promise((resolve) => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const titleId = uid("dialog-title");
    const close = h("button", { type: "button", class: "button secondary", autofocus: true }, opts.close ?? "Close");
    const dialog = h(
      "dialog",
      { class: "dialog dialog-wide", "aria-labelledby": titleId },
      h("h2", { id: titleId }, opts.title),
      h("div", { class: "dialog-body" }, opts.content),
      h("div", { class: "actions" }, close),
    );
    const done = () => {
      dialog.close();
      dialog.remove();
      if (opener?.isConnected && document.activeElement !== opener) opener.focus();
      resolve();
    };
    close.addEventListener("click", done);
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    close.focus();
  });
}
