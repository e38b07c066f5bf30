// A coach's booking rules (slot grid, buffers, notice, how far ahead) and one-day changes to
// the weekly hours (a date with other hours, or closed), all in the coach's own zone.

import { del, explain, put } from "../api";
import { busy, errorBox, field, fill, h, select, status } from "../dom";
import { longDate } from "../format";
import type { ClockRange, Schedule, ScheduleRules } from "../types";

const STEP = 5;

function minutesInput(name: string, value: number, max: number, step = STEP): HTMLInputElement {
  return h("input", { type: "number", name, value, min: 0, max, step, inputmode: "numeric", required: true });
}

/** Slot interval, buffers, minimum notice, and the horizon: N calendar days, no limit, and
 * a last bookable day. */
export function rulesForm(schedule: Schedule): HTMLElement {
  const rules = schedule.settings;
  const intervals = Array.from({ length: 240 / STEP }, (_, i) => (i + 1) * STEP);
  const interval = select(
    { name: "slot_interval" },
    intervals.map((m) => ({ value: String(m), label: `${m} minutes` })),
    String(rules.slot_interval),
  );
  const before = minutesInput("buffer_before", rules.buffer_before, 120);
  const after = minutesInput("buffer_after", rules.buffer_after, 120);
  const noticeHours = h("input", { type: "number", name: "min_notice_hours", value: rules.min_notice / 60, min: 0, max: 336, step: 0.25, required: true });
  const ahead = h("input", { type: "number", name: "max_advance_days", value: rules.max_advance_days ?? 60, min: 0, max: 365, step: 1 });
  const noLimit = h("input", { type: "checkbox", name: "no_limit", checked: rules.max_advance_days === null });
  const until = h("input", { type: "date", name: "bookable_until", value: rules.bookable_until ?? "" });
  const sync = () => {
    ahead.disabled = noLimit.checked;
  };
  noLimit.addEventListener("change", sync);
  sync();
  const save = h("button", { type: "submit", class: "primary" }, "Save booking rules");
  const note = status();
  const form = h(
    "form",
    { class: "rules" },
    h("h3", {}, "Booking rules"),
    h(
      "div",
      { class: "row" },
      field("Slot starts every", interval, "Equal to a session length for back-to-back sessions."),
      field("Free minutes before a session", before),
      field("Free minutes after a session", after),
      field("Notice needed (hours)", noticeHours),
    ),
    h(
      "div",
      { class: "row" },
      field("Bookable days ahead", ahead, "Today is day 0; the whole of the last day is bookable."),
      h("label", { class: "check" }, noLimit, " No limit"),
      field("Last bookable day (optional)", until, "A fixed end date, e.g. before a move or a leave."),
    ),
    note,
    save,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body: ScheduleRules = {
      slot_interval: Number(interval.value),
      buffer_before: Number(before.value),
      buffer_after: Number(after.value),
      min_notice: Math.round(Number(noticeHours.value) * 60),
      max_advance_days: noLimit.checked ? null : Number(ahead.value),
      bookable_until: until.value || null,
    };
    void busy(save, "Saving…", async () => {
      try {
        await put("/api/coaches/me/schedule/settings", body);
        fill(note, "Booking rules saved: new bookings follow them now, and raised buffers also keep space around sessions already booked.");
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return form;
}

function rangesText(ranges: ClockRange[]): string {
  return ranges.length ? ranges.map((r) => `${r.start}–${r.end}`).join(", ") : "Closed";
}

/** Dates whose hours differ from the week's: listed with a way back, and a form for a new
 * one (closed all day, or up to three ranges). */
export function overridesForm(schedule: Schedule): HTMLElement {
  const zone = schedule.time_zone;
  const list = h("ul", { class: "overrides" });
  const none = () => h("li", {}, "No dates with other hours.");
  const show = (items: Schedule["overrides"]) =>
    fill(
      list,
      items.length
        ? items.map((o) => {
            const remove = h("button", { type: "button", class: "danger", "aria-label": `Use weekly hours on ${o.date}` }, "Use weekly hours");
            remove.addEventListener("click", () =>
              void busy(remove, "Removing…", async () => {
                try {
                  await del(`/api/coaches/me/schedule/overrides/${o.date}`);
                  remove.closest("li")?.remove();
                  if (!list.children.length) list.append(none());
                } catch (error) {
                  remove.after(errorBox(explain(error)));
                }
              }),
            );
            return h("li", {}, h("strong", {}, longDate(`${o.date}T12:00:00Z`, "UTC")), ` ${rangesText(o.ranges)} `, remove);
          })
        : none(),
    );
  show(schedule.overrides);
  const day = h("input", { type: "date", name: "override_date", required: true });
  const closed = h("input", { type: "checkbox", name: "closed", checked: true });
  const ranges = [1, 2, 3].map((n) => ({
    start: h("input", { type: "time", name: `override_start_${n}`, value: n === 1 ? "10:00" : "", "aria-label": `Hours ${n} from` }),
    end: h("input", { type: "time", name: `override_end_${n}`, value: n === 1 ? "14:00" : "", "aria-label": `Hours ${n} until` }),
  }));
  const rangeBox = h(
    "div",
    { class: "ranges" },
    ranges.map((r) => h("div", { class: "range" }, r.start, h("span", { "aria-hidden": "true" }, " – "), r.end)),
  );
  const sync = () => {
    rangeBox.hidden = closed.checked;
  };
  closed.addEventListener("change", sync);
  sync();
  const save = h("button", { type: "submit" }, "Save this date");
  const note = status();
  const form = h(
    "form",
    { class: "overrides-form" },
    h("h3", {}, "Dates with other hours"),
    h("p", { class: "hint" }, `A date here replaces its weekday's hours (in ${zone}); bookings already made stay.`),
    list,
    h("div", { class: "row" }, field("Date", day), h("label", { class: "check" }, closed, " Closed all day")),
    rangeBox,
    note,
    save,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = closed.checked ? [] : ranges.filter((r) => r.start.value && r.end.value).map((r) => ({ start: r.start.value, end: r.end.value }));
    void busy(save, "Saving…", async () => {
      try {
        const fresh = await put<Schedule>(`/api/coaches/me/schedule/overrides/${day.value}`, { ranges: chosen });
        show(fresh.overrides);
        fill(note, `Saved: ${day.value} ${rangesText(chosen)}.`);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return form;
}
