// A tiny DOM builder: h("button", { type: "button", onclick }, "Text").
// Strings are text nodes (never HTML), so nothing from the API is parsed as markup.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children.flat(Infinity as 1)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A document-unique id for label/for and aria-describedby pairs. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A polite live region: screen readers announce what is put in it. It stays in
 * the page (empty, it takes no room) so that the first message is announced too. */
export type LiveRegion = HTMLElement & { say(text: string, kind?: "info" | "error"): void };

export function liveRegion(): LiveRegion {
  const el = h("p", { role: "status", class: "notice live", "aria-live": "polite" }) as unknown as LiveRegion;
  el.say = (text: string, kind: "info" | "error" = "info") => {
    el.className = `notice live notice-${kind}`;
    el.textContent = text;
  };
  return el;
}
