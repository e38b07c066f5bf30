// A coach's availability, in the coach's own time zone: weekly hours (several ranges a day),
// booking rules, one-day changes, time off, and the calendars shared both ways.

import { del, explain, get, post, put } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { zoneLabel } from "../format";
import type { Hours, Schedule } from "../types";
import { isoToZoned, zonedToIso } from "../zoned";
import { calendarsPart } from "./calendars";
import { overridesForm, rulesForm } from "./rules";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export interface HoursEditor {
  element: HTMLElement;
  value(): Hours[];
}

/** Up to this many ranges a day (a split day, an evening block): the API takes 70 in a week. */
const RANGES_A_DAY = 4;

interface DayRanges {
  weekday: number;
  open: HTMLInputElement;
  list: HTMLElement;
  ranges: { start: HTMLInputElement; end: HTMLInputElement }[];
}

/** Weekly hours: each open day has one or more ranges (overlapping ones are merged by the
 * server); days without a tick are closed. */
export function hoursEditor(hours: Hours[]): HoursEditor {
  const days: DayRanges[] = WEEKDAYS.map((day, weekday) => {
    const existing = hours.filter((h) => h.weekday === weekday);
    const open = h("input", { type: "checkbox", name: `open-${weekday}`, checked: existing.length > 0, "aria-label": `Open on ${day}` });
    const entry: DayRanges = { weekday, open, list: h("div", { class: "ranges" }), ranges: [] };
    for (const range of existing.length ? existing : [{ start: "09:00", end: "17:00" }]) addRange(entry, day, range);
    return entry;
  });
  const rows = days.map((entry) => {
    const day = WEEKDAYS[entry.weekday];
    const more = h("button", { type: "button", class: "link", "aria-label": `Add hours on ${day}` }, "Add hours");
    more.addEventListener("click", () => {
      if (entry.ranges.length >= RANGES_A_DAY) return;
      const last = entry.ranges[entry.ranges.length - 1];
      addRange(entry, day, { start: last?.end.value || "18:00", end: "20:00" });
      entry.open.checked = true;
      more.toggleAttribute("disabled", entry.ranges.length >= RANGES_A_DAY);
    });
    return h("tr", {}, h("th", { scope: "row" }, day), h("td", {}, entry.open), h("td", {}, entry.list), h("td", {}, more));
  });
  const element = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "weekly" },
      h("thead", {}, h("tr", {}, h("th", {}, "Day"), h("th", {}, "Open"), h("th", {}, "Hours"), h("th", {}, h("span", { class: "visually-hidden" }, "Add")))),
      h("tbody", {}, rows),
    ),
  );
  return {
    element,
    value: () =>
      days
        .filter((d) => d.open.checked)
        .flatMap((d) => d.ranges.map((r) => ({ weekday: d.weekday, start: r.start.value, end: r.end.value }))),
  };
}

function addRange(entry: DayRanges, day: string, range: { start: string; end: string }): void {
  const n = entry.ranges.length + 1;
  const suffix = n > 1 ? ` (${n})` : "";
  const start = h("input", { type: "time", name: `start-${entry.weekday}-${n}`, value: range.start, "aria-label": `${day} from${suffix}` });
  const end = h("input", { type: "time", name: `end-${entry.weekday}-${n}`, value: range.end, "aria-label": `${day} until${suffix}` });
  const pair = { start, end };
  const row = h("div", { class: "range" }, start, h("span", { "aria-hidden": "true" }, " – "), end);
  if (n > 1) {
    const remove = h("button", { type: "button", class: "link", "aria-label": `Remove ${day} hours${suffix}` }, "Remove");
    remove.addEventListener("click", () => {
      entry.ranges.splice(entry.ranges.indexOf(pair), 1);
      row.remove();
    });
    row.append(" ", remove);
  }
  entry.ranges.push(pair);
  entry.list.append(row);
}

export async function scheduleSection(section: HTMLElement): Promise<void> {
  fill(section, h("h2", { id: "schedule-title" }, "Availability"), spinner("Loading your calendar…"));
  let schedule: Schedule;
  try {
    schedule = await get<Schedule>("/api/coaches/me/schedule");
  } catch (error) {
    section.append(errorBox(explain(error)));
    return;
  }
  const zone = schedule.time_zone;
  const editor = hoursEditor(schedule.weekly_hours);
  const saveHours = h("button", { type: "submit", class: "primary" }, "Save weekly hours");
  const hoursNote = status();
  const hoursForm = h("form", {}, h("h3", {}, "Weekly hours"), h("p", { class: "hint" }, `In your time zone: ${zoneLabel(zone)}.`), editor.element, hoursNote, saveHours);
  hoursForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(saveHours, "Saving…", async () => {
      try {
        await put("/api/coaches/me/schedule/weekly-hours", { weekly_hours: editor.value() });
        fill(hoursNote, "Weekly hours saved.");
      } catch (error) {
        fill(hoursNote, errorBox(explain(error)));
      }
    });
  });

  const list = h("ul", { class: "time-off" });
  const showTimeOff = (items: Schedule["time_off"]) =>
    fill(
      list,
      items.length
        ? items.map((t) => {
            const remove = h("button", { type: "button", class: "danger" }, "Remove");
            remove.addEventListener("click", () =>
              void busy(remove, "Removing…", async () => {
                await del(`/api/coaches/me/schedule/time-off/${t.id}`);
                remove.closest("li")?.remove();
              }),
            );
            return h("li", {}, `${isoToZoned(t.starts_at, zone).replace("T", " ")} – ${isoToZoned(t.ends_at, zone).replace("T", " ")}${t.note ? ` (${t.note})` : ""} `, remove);
          })
        : h("li", {}, "No time off planned."),
    );
  showTimeOff(schedule.time_off);
  const from = h("input", { type: "datetime-local", name: "starts_at", required: true });
  const until = h("input", { type: "datetime-local", name: "ends_at", required: true });
  const why = h("input", { name: "note", maxlength: 200 });
  const addOff = h("button", { type: "submit" }, "Add time off");
  const offNote = status();
  const offForm = h(
    "form",
    {},
    h("h3", {}, "Time off"),
    list,
    h("div", { class: "row" }, field(`From (${zone})`, from), field(`Until (${zone})`, until), field("Note (only you see it)", why)),
    offNote,
    addOff,
  );
  offForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(addOff, "Adding…", async () => {
      try {
        await post("/api/coaches/me/schedule/time-off", { starts_at: zonedToIso(from.value, zone), ends_at: zonedToIso(until.value, zone), note: why.value });
        const fresh = await get<Schedule>("/api/coaches/me/schedule");
        showTimeOff(fresh.time_off);
        fill(offNote, "Time off added: clients cannot book it.");
        offForm.reset();
      } catch (error) {
        fill(offNote, errorBox(explain(error)));
      }
    });
  });
  fill(
    section,
    h("h2", { id: "schedule-title" }, "Availability"),
    hoursForm,
    rulesForm(schedule),
    overridesForm(schedule),
    offForm,
    calendarsPart(),
  );
}
