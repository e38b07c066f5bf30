// A coach's weekly hours and time off, in the coach's own time zone.

import { del, explain, get, post, put } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { zoneLabel } from "../format";
import type { Hours, Schedule } from "../types";
import { isoToZoned, zonedToIso } from "../zoned";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export interface HoursEditor {
  element: HTMLElement;
  value(): Hours[];
}

/** One range per day (the common case); days without times are closed. */
export function hoursEditor(hours: Hours[]): HoursEditor {
  const rows = WEEKDAYS.map((day, weekday) => {
    const existing = hours.find((h) => h.weekday === weekday);
    const open = h("input", { type: "checkbox", name: `open-${weekday}`, checked: Boolean(existing), "aria-label": `Open on ${day}` });
    const start = h("input", { type: "time", name: `start-${weekday}`, value: existing?.start ?? "09:00", "aria-label": `${day} from` });
    const end = h("input", { type: "time", name: `end-${weekday}`, value: existing?.end ?? "17:00", "aria-label": `${day} until` });
    return { weekday, open, start, end, row: h("tr", {}, h("th", { scope: "row" }, day), h("td", {}, open), h("td", {}, start), h("td", {}, end)) };
  });
  const element = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "weekly" },
      h("thead", {}, h("tr", {}, h("th", {}, "Day"), h("th", {}, "Open"), h("th", {}, "From"), h("th", {}, "Until"))),
      h("tbody", {}, rows.map((r) => r.row)),
    ),
  );
  return {
    element,
    value: () => rows.filter((r) => r.open.checked).map((r) => ({ weekday: r.weekday, start: r.start.value, end: r.end.value })),
  };
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
  fill(section, h("h2", { id: "schedule-title" }, "Availability"), hoursForm, offForm);
}
