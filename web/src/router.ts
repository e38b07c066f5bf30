// Client routes on the History API: the server answers index.html for any of them.

export type Cleanup = () => void;
export type View = (main: HTMLElement, params: string[], query: URLSearchParams) =>
  | void
  | Cleanup
  | Promise<void | Cleanup>;

interface Route {
  pattern: RegExp;
  view: View;
}

const routes: Route[] = [];
let cleanup: Cleanup | null = null;
let rendering = 0;
let main: HTMLElement;

export function route(pattern: RegExp, view: View): void {
  routes.push({ pattern, view });
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

export async function render(): Promise<void> {
  cleanup?.();
  cleanup = null;
  const ticket = ++rendering;
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  main.replaceChildren();
  for (const { pattern, view } of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    const result = await view(main, match.slice(1), query);
    if (ticket !== rendering) {
      if (typeof result === "function") result();
      return;
    }
    if (typeof result === "function") cleanup = result;
    return;
  }
  main.textContent = "Page not found.";
}

export function start(container: HTMLElement): void {
  main = container;
  window.addEventListener("popstate", () => void render());
  document.addEventListener("click", (event) => {
    const target = event.target as Element | null;
    const link = target?.closest("a");
    if (
      !link ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      link.target ||
      link.hasAttribute("download") ||
      link.origin !== location.origin ||
      link.pathname.startsWith("/api/")
    ) {
      return;
    }
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  void render();
}

/** Focus the page heading after a route change, for keyboard and screen-reader users. */
export function focusHeading(main: HTMLElement): void {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}
