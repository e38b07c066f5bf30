// A tiny element builder: text always goes in as text, never as HTML, so nothing a coach or
// client typed can become markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything inside `el`. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form control: `<label for>` plus the control, in one `.field` block. */
export function field(
  label: string,
  control: HTMLElement,
  hint?: string,
): HTMLElement {
  if (!control.id) control.id = uid("f");
  const parts: Child[] = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, ...parts);
}

export function select(
  attrs: Attrs,
  options: { value: string; label: string }[],
  selected?: string,
): HTMLSelectElement {
  const el = h("select", attrs);
  for (const option of options) {
    const o = h("option", { value: option.value }, option.label);
    if (option.value === selected) o.selected = true;
    el.append(o);
  }
  return el;
}

/** A live region that reads out short status changes (busy, done, errors). */
export function status(text = ""): HTMLElement {
  return h("p", { class: "status", role: "status", "aria-live": "polite" }, text);
}

export function spinner(label = "Loading…"): HTMLElement {
  return h("p", { class: "loading", role: "status", "aria-busy": "true" }, label);
}

export function errorBox(message: string): HTMLElement {
  return h("p", { class: "error", role: "alert" }, message);
}

/** Disable a button while `work` runs, with a visible busy label. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = before;
  }
}
