// A client's saved coaches: a "Save" toggle on each profile, and the list at /favourites.

import { del, explain, get, me, put } from "../api";
import { busy, errorBox, fill, h, spinner } from "../dom";
import { focusHeading } from "../router";
import type { CoachCard } from "../types";
import { coachCard } from "./common";

async function saved(): Promise<CoachCard[]> {
  return (await get<{ items: CoachCard[] }>("/api/me/favourites")).items;
}

/** The profile's save toggle (for a logged-in client; nothing for anyone else). */
export function favouriteButton(coachId: string, name: string): HTMLElement | null {
  if (me()?.role !== "client") return null;
  const button = h("button", { type: "button", class: "favourite", "aria-pressed": "false" }, "Save coach");
  const show = (on: boolean) => {
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Saved ✓" : "Save coach";
    button.title = on ? `Remove ${name} from your saved coaches` : `Save ${name} to find them again`;
  };
  void saved().then((items) => show(items.some((c) => c.id === coachId)), () => undefined);
  button.addEventListener("click", () =>
    void busy(button, "Saving…", async () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      try {
        if (on) await put(`/api/me/favourites/${coachId}`);
        else await del(`/api/me/favourites/${coachId}`);
        setTimeout(() => show(on)); // after busy() puts the old label back
      } catch (error) {
        button.after(errorBox(explain(error)));
      }
    }),
  );
  return button;
}

export async function favourites(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Saved coaches"), spinner("Loading your saved coaches…"));
  focusHeading(main);
  try {
    const items = await saved();
    main.querySelector(".loading")?.replaceWith(
      items.length
        ? h("ul", { class: "coach-list", "aria-label": "Saved coaches" }, items.map(coachCard))
        : h("p", {}, "No saved coaches yet. Save one from their profile to find them here."),
    );
  } catch (error) {
    fill(main, h("h1", {}, "Saved coaches"), errorBox(explain(error)));
  }
}
