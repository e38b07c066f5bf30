// The week of free slots a client picks from, in the viewer's zone: the coach's profile books
// with it and a reschedule moves with it. Slots someone else takes disappear at once
// (`changed`, from `slots:changed`).

import { explain, get } from "../api";
import { errorBox, fill, h } from "../dom";
import { addDays, clock, day, isoDate } from "../format";
import type { Slots } from "../types";

export interface WeekPickerOptions {
  coachId: string;
  zone: string;
  /** The session type and length to show slots for (read at every load). */
  offering: () => { session_type: string; duration: string };
  /** A slot was clicked. */
  onPick: (button: HTMLButtonElement, start: string) => void;
  /** Each week's answer, once shown (the price, a slot to resume). */
  onLoaded?: (answer: Slots) => void;
  /** Open on the week holding this instant (not before now). */
  near?: string | null;
}

export interface WeekPicker {
  element: HTMLElement;
  grid: HTMLElement;
  load: () => Promise<void>;
  changed: (start: string, end: string) => void;
}

export function weekPicker(options: WeekPickerOptions): WeekPicker {
  const { coachId, zone } = options;
  const near = options.near ? Date.parse(options.near) : NaN;
  let weekStart = near > Date.now() ? new Date(Math.max(Date.now(), near - 3 * 86_400_000)) : new Date();
  const weekLabel = h("span", { class: "week" });
  const previous = h("button", { type: "button" }, h("span", { "aria-hidden": "true" }, "‹ "), "Earlier week");
  const next = h("button", { type: "button" }, "Later week", h("span", { "aria-hidden": "true" }, " ›"));
  const grid = h("div", { class: "slot-grid", "aria-live": "polite" });
  const element = h("div", { class: "week-picker" }, h("div", { class: "week-nav" }, previous, weekLabel, next), grid);

  let loading = 0;
  async function load(): Promise<void> {
    const ticket = ++loading;
    const { session_type, duration } = options.offering();
    weekLabel.textContent = `${day(weekStart.toISOString())} – ${day(addDays(weekStart, 6).toISOString())}`;
    previous.disabled = weekStart.getTime() <= Date.now() + 60_000; // nothing earlier than now
    grid.setAttribute("aria-busy", "true");
    try {
      const answer = await get<Slots>(`/api/coaches/${coachId}/slots`, {
        from: isoDate(weekStart, zone),
        to: isoDate(addDays(weekStart, 7), zone),
        tz: zone,
        session_type,
        duration,
      });
      if (ticket !== loading) return;
      show(answer);
      options.onLoaded?.(answer);
    } catch (error) {
      if (ticket === loading) fill(grid, errorBox(explain(error)));
    } finally {
      if (ticket === loading) grid.removeAttribute("aria-busy");
    }
  }

  function show(answer: Slots): void {
    if (!answer.slots.length) {
      fill(grid, h("p", {}, "No free times this week. Try later weeks."));
      return;
    }
    const byDay = new Map<string, HTMLElement[]>();
    for (const slot of answer.slots) {
      const label = day(slot.start, zone);
      const button = h(
        "button",
        {
          type: "button",
          class: "slot",
          "data-start": slot.start,
          "data-end": slot.end,
          "aria-label": `${label}, ${clock(slot.start, zone)}`,
        },
        clock(slot.start, zone),
      );
      button.addEventListener("click", () => options.onPick(button, slot.start));
      byDay.set(label, [...(byDay.get(label) ?? []), button]);
    }
    fill(
      grid,
      [...byDay].map(([label, buttons]) =>
        h("div", { class: "slot-day", role: "group", "aria-label": label }, h("h3", {}, label), h("div", { class: "slot-buttons" }, buttons)),
      ),
    );
  }

  /** Take out at once every shown slot overlapping the changed time, then ask again. */
  function changed(start: string, end: string): void {
    const from = Date.parse(start);
    const until = Date.parse(end);
    for (const button of grid.querySelectorAll<HTMLButtonElement>("button.slot")) {
      const slotStart = Date.parse(button.dataset.start ?? "");
      const slotEnd = Date.parse(button.dataset.end ?? "");
      if (slotStart < until && from < slotEnd && document.activeElement !== button) button.remove();
      else if (slotStart < until && from < slotEnd) button.disabled = true;
    }
    void load();
  }

  previous.addEventListener("click", () => {
    const earlier = addDays(weekStart, -7);
    weekStart = earlier < new Date() ? new Date() : earlier;
    void load();
  });
  next.addEventListener("click", () => {
    weekStart = addDays(weekStart, 7);
    void load();
  });
  return { element, grid, load, changed };
}
