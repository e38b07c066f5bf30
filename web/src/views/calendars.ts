// A coach's calendars both ways: the private feed of Flourish sessions to subscribe to from
// Google, Apple or Outlook, and the coach's own calendars whose busy time blocks slots here.

import { del, explain, get, post } from "../api";
import { busy, errorBox, field, fill, h, select, spinner, status } from "../dom";
import { dateTime } from "../format";
import type { CalendarFeed, ImportedCalendar } from "../types";

const FEED = "/api/coaches/me/calendar-feed";
const CALENDARS = "/api/coaches/me/calendars";

export function calendarsPart(): HTMLElement {
  const feed = h("div", { class: "feed" }, spinner("Loading your calendar feed…"));
  const imports = h("div", { class: "calendars" }, spinner("Loading your calendars…"));
  void feedBox(feed);
  void importsBox(imports);
  return h("div", {}, h("h3", {}, "Your calendars"), feed, imports);
}

async function feedBox(box: HTMLElement, issued?: CalendarFeed): Promise<void> {
  let state: CalendarFeed;
  try {
    state = issued ?? (await get<CalendarFeed>(FEED));
  } catch (error) {
    fill(box, errorBox(explain(error)));
    return;
  }
  const note = status();
  const create = h("button", { type: "button" }, state.active ? "Make a new feed address" : "Create a feed address");
  create.addEventListener("click", () =>
    void busy(create, "Creating…", async () => {
      try {
        await feedBox(box, await post<CalendarFeed>(FEED));
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    }),
  );
  const parts: (HTMLElement | string)[] = [
    h("h4", {}, "Sessions feed"),
    h("p", { class: "hint" }, "Your Flourish sessions in your own calendar app, with each client's first name only and no session details. Anyone with the address can read it: keep it private."),
  ];
  if (state.url) {
    const url = h("input", { class: "feed-url", readonly: true, value: state.url, name: "feed_url" });
    const copy = h("button", { type: "button" }, "Copy");
    copy.addEventListener("click", () => {
      url.select();
      void navigator.clipboard?.writeText(state.url ?? "").then(
        () => fill(note, "Feed address copied."),
        () => fill(note, "Select the address and copy it."),
      );
    });
    parts.push(field("Feed address (shown only now)", url, "Subscribe to it from Google Calendar (From URL), Apple Calendar or Outlook."), copy);
  } else if (state.active) {
    parts.push(h("p", {}, `A feed address is active since ${dateTime(state.created_at ?? "")}. It cannot be shown again: make a new one if you lost it.`));
  } else {
    parts.push(h("p", {}, "No feed address is active."));
  }
  const actions = h("div", { class: "actions" }, create);
  if (state.active) {
    const revoke = h("button", { type: "button", class: "danger" }, "Turn the feed off");
    revoke.addEventListener("click", () =>
      void busy(revoke, "Turning off…", async () => {
        try {
          await del(FEED);
          await feedBox(box, { active: false, created_at: null, url: null });
        } catch (error) {
          fill(note, errorBox(explain(error)));
        }
      }),
    );
    actions.append(revoke);
  }
  fill(box, ...parts, actions, note);
}

function calendarItem(calendar: ImportedCalendar, reload: () => Promise<void>): HTMLElement {
  const state =
    calendar.status === "ok"
      ? h("span", {}, `${calendar.busy_count} busy ${calendar.busy_count === 1 ? "time" : "times"}, read ${dateTime(calendar.last_success_at ?? calendar.last_attempt_at)}`)
      : h("span", { class: "failing", role: "alert" }, `Not read: ${calendar.last_error ?? "the last read failed"} (tried ${dateTime(calendar.last_attempt_at)}).`);
  const note = status();
  const refresh = h("button", { type: "button", "aria-label": `Read again ${calendar.label}` }, "Read again");
  refresh.addEventListener("click", () =>
    void busy(refresh, "Reading…", async () => {
      try {
        await post(`${CALENDARS}/${calendar.id}/refresh`);
      } catch (error) {
        fill(note, errorBox(explain(error)));
        return;
      }
      await reload();
    }),
  );
  const remove = h("button", { type: "button", class: "danger", "aria-label": `Stop importing ${calendar.label}` }, "Stop importing");
  remove.addEventListener("click", () =>
    void busy(remove, "Removing…", async () => {
      try {
        await del(`${CALENDARS}/${calendar.id}`);
        await reload();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    }),
  );
  const kind = calendar.kind === "caldav" ? "CalDAV" : "iCal";
  return h("li", { class: calendar.status }, h("strong", {}, calendar.label), ` (${kind}, ${calendar.host}): `, state, " ", h("span", { class: "actions" }, refresh, remove), note);
}

async function importsBox(box: HTMLElement): Promise<void> {
  const reload = () => importsBox(box);
  let calendars: ImportedCalendar[];
  try {
    calendars = (await get<{ calendars: ImportedCalendar[] }>(CALENDARS)).calendars;
  } catch (error) {
    fill(box, errorBox(explain(error)));
    return;
  }
  const list = h(
    "ul",
    { "aria-label": "Imported calendars" },
    calendars.length ? calendars.map((c) => calendarItem(c, reload)) : h("li", {}, "No calendars imported yet."),
  );
  const kind = select({ name: "kind" }, [
    { value: "ical", label: "iCal address (Google secret address, Outlook, any .ics)" },
    { value: "caldav", label: "CalDAV (iCloud, Fastmail, Nextcloud…)" },
  ]);
  const url = h("input", { type: "url", name: "calendar_url", required: true, maxlength: 2000, placeholder: "https://…" });
  const label = h("input", { name: "label", value: "My calendar", required: true, maxlength: 80 });
  const username = h("input", { name: "username", autocomplete: "username", maxlength: 200 });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", maxlength: 500 });
  const login = h("div", { class: "row" }, field("CalDAV user name", username), field("CalDAV password (kept encrypted)", password));
  const sync = () => {
    login.hidden = kind.value !== "caldav";
  };
  kind.addEventListener("change", sync);
  sync();
  const add = h("button", { type: "submit" }, "Import calendar");
  const note = status();
  const form = h(
    "form",
    {},
    h("h4", {}, "Busy time from your own calendars"),
    h("p", { class: "hint" }, "Busy times there block your slots here; what the events are is never read out or shown."),
    list,
    h("div", { class: "row" }, field("Kind", kind), field("Calendar address", url), field("Name for it", label)),
    login,
    note,
    add,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body =
      kind.value === "caldav"
        ? { kind: "caldav", url: url.value, label: label.value, username: username.value, password: password.value }
        : { kind: "ical", url: url.value, label: label.value };
    void busy(add, "Reading the calendar…", async () => {
      try {
        await post(CALENDARS, body);
      } catch (error) {
        fill(note, errorBox(explain(error)));
        return;
      }
      await reload();
    });
  });
  fill(box, form);
}
