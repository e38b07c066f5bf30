// A coach's profile and the slot picker: slots in the viewer's zone, removed as soon as
// `slots:changed` says someone else took them.

import { ApiError, explain, get, idempotencyKey, me, post } from "../api";
import { busy, errorBox, field, fill, h, select, spinner, status } from "../dom";
import { addDays, clock, day, isoDate, language, money, SESSION_TYPES, stars, viewerZone, zoneLabel } from "../format";
import { watchSlots } from "../live";
import { focusHeading, navigate } from "../router";
import type { Booking, CoachProfile, Review, Slots } from "../types";
import { avatar, rates, tags } from "./common";

function review(item: Review): HTMLElement {
  return h(
    "li",
    { class: "review", "data-id": item.id },
    h("p", { class: "stars", "aria-label": `${item.rating} out of 5 stars` }, "★".repeat(item.rating) + "☆".repeat(5 - item.rating)),
    h("blockquote", {}, item.text),
    h("p", { class: "meta" }, `${item.anonymous ? "Anonymous" : (item.client_name ?? "A client")} · ${day(item.created_at)}`),
    item.coach_response ? h("p", { class: "response" }, h("strong", {}, "Coach’s reply: "), item.coach_response) : null,
  );
}

export async function coachProfile(main: HTMLElement, [coachId]: string[], query: URLSearchParams): Promise<() => void> {
  main.append(spinner("Loading profile…"));
  let coach: CoachProfile;
  try {
    coach = await get<CoachProfile>(`/api/coaches/${coachId}`);
  } catch (error) {
    fill(main, h("h1", {}, "Coach"), errorBox(explain(error)));
    return () => undefined;
  }
  const byStar = coach.rating.by_star ?? {};
  // The booking picker comes right after the coach's name, so on a phone it is a thumb's
  // reach away rather than below the whole profile.
  const picker = h("section", { class: "card slots-card", "aria-labelledby": "slots-title" });
  fill(
    main,
    h(
      "section",
      { class: "profile card", "aria-labelledby": "coach-name" },
      h("div", { class: "profile-head" }, avatar(coach.display_name, "lg"), h("div", {},
        h("h1", { id: "coach-name" }, coach.display_name),
        h("p", { class: "meta" }, coach.online ? h("span", { class: "online" }, "Online now · ") : null, `${stars(coach.rating.average, coach.rating.count)} · ${coach.years_experience} years of experience · their time zone: ${zoneLabel(coach.time_zone)}`),
        tags(coach.badges, "badge"),
      )),
    ),
    picker,
    h(
      "section",
      { class: "profile card", "aria-label": `About ${coach.display_name}` },
      h("h2", {}, "About"),
      h("p", { class: "bio" }, coach.bio),
      coach.approach ? h("p", { class: "bio" }, h("strong", {}, "Approach: "), coach.approach) : null,
      h("h2", {}, "Specialties"),
      tags(coach.specialties, "specialty"),
      h("h2", {}, "Languages"),
      h("p", {}, coach.languages.map(language).join(", ")),
      h("h2", {}, "Rates"),
      rates(coach.session_types, coach.currency),
      h("h2", {}, "Credentials"),
      h(
        "ul",
        { class: "credentials" },
        coach.credentials.map((c) =>
          h("li", {}, `${c.license_type}, ${c.issuing_region ? `${c.issuing_region}, ` : ""}${c.issuing_country}`,
            c.verified ? h("span", { class: "verified" }, " ✓ verified") : " (not yet verified)",
            h("span", { class: "meta" }, ` · valid until ${c.expires_on}`)),
        ),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "reviews-title" },
      h("h2", { id: "reviews-title" }, "Reviews"),
      h(
        "p",
        { class: "meta" },
        stars(coach.rating.average, coach.rating.count),
        Object.keys(byStar).length
          ? ` · ${[5, 4, 3, 2, 1].map((s) => `${s}★ ${byStar[String(s)] ?? 0}`).join(", ")}`
          : "",
      ),
      reviewList(coach),
    ),
  );
  focusHeading(main);
  return slotPicker(picker, coach, query);
}

/** The newest reviews, and the rest a page at a time. */
function reviewList(coach: CoachProfile): HTMLElement {
  if (!coach.reviews.length) return h("p", {}, "No reviews yet.");
  const list = h("ul", { class: "reviews" }, coach.reviews.map(review));
  const more = h("button", { type: "button", hidden: coach.rating.count <= coach.reviews.length }, "More reviews");
  const note = status();
  let cursor: string | null = null;
  more.addEventListener("click", () => {
    void busy(more, "Loading…", async () => {
      try {
        // The first page repeats the five shown with the profile: skip those.
        const page = await get<{ items: Review[]; next_cursor: string | null }>(`/api/coaches/${coach.id}/reviews`, { limit: 20, cursor });
        const shown = new Set([...list.querySelectorAll<HTMLElement>("li.review")].map((li) => li.dataset.id));
        list.append(...page.items.filter((r) => !shown.has(r.id)).map(review));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return h("div", {}, list, more, note);
}

function slotPicker(section: HTMLElement, coach: CoachProfile, query: URLSearchParams): () => void {
  const zone = viewerZone();
  // A slot picked while logged out comes back with the login (?slot=, with its type and length).
  const picked = query.get("slot");
  const offerings = coach.session_types;
  const type = select({ name: "session_type" }, offerings.map((o) => ({ value: o.session_type, label: SESSION_TYPES[o.session_type] ?? o.session_type })));
  const duration = select({ name: "duration" }, []);
  const setDurations = () => {
    const offering = offerings.find((o) => o.session_type === type.value);
    fill(duration, ...(offering?.durations ?? []).map((d) => h("option", { value: String(d) }, `${d} minutes`)));
  };
  // ?session_type=&duration= (from "Book again", or with a picked slot) choose the offering.
  const wanted = query.get("session_type");
  if (wanted && offerings.some((o) => o.session_type === wanted)) type.value = wanted;
  setDurations();
  const length = query.get("duration");
  if (length && [...duration.options].some((o) => o.value === length)) duration.value = length;
  const today = new Date();
  let weekStart = picked && Date.parse(picked) > Date.now() ? new Date(Math.max(Date.now(), Date.parse(picked) - 86_400_000 * 3)) : today;
  const weekLabel = h("span", { class: "week" });
  const previous = h("button", { type: "button" }, h("span", { "aria-hidden": "true" }, "‹ "), "Earlier week");
  const next = h("button", { type: "button" }, "Later week", h("span", { "aria-hidden": "true" }, " ›"));
  const price = h("p", { class: "price" });
  const grid = h("div", { class: "slot-grid", "aria-live": "polite" });
  const note = status();
  fill(
    section,
    h("h2", { id: "slots-title" }, "Book a session"),
    h("p", { class: "hint" }, `Times are in your time zone: ${zoneLabel(zone)}.`),
    h("div", { class: "row" }, field("Session type", type), field("Length", duration)),
    h("div", { class: "week-nav" }, previous, weekLabel, next),
    price,
    note,
    grid,
  );

  let loading = 0;
  async function load(): Promise<void> {
    const ticket = ++loading;
    const from = isoDate(weekStart, zone);
    const to = isoDate(addDays(weekStart, 7), zone);
    weekLabel.textContent = `${day(weekStart.toISOString())} – ${day(addDays(weekStart, 6).toISOString())}`;
    previous.disabled = weekStart.getTime() <= Date.now() + 60_000; // nothing earlier than now
    grid.setAttribute("aria-busy", "true");
    try {
      const answer = await get<Slots>(`/api/coaches/${coach.id}/slots`, {
        from,
        to,
        tz: zone,
        session_type: type.value,
        duration: duration.value,
      });
      if (ticket !== loading) return;
      price.textContent = `${answer.duration} minutes: ${money(answer.price)}`;
      showSlots(answer);
      resume();
    } catch (error) {
      if (ticket === loading) fill(grid, errorBox(explain(error)));
    } finally {
      if (ticket === loading) grid.removeAttribute("aria-busy");
    }
  }

  function showSlots(answer: Slots): void {
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
      button.addEventListener("click", () => void hold(button, slot.start));
      byDay.set(label, [...(byDay.get(label) ?? []), button]);
    }
    fill(
      grid,
      [...byDay].map(([label, buttons]) =>
        h("div", { class: "slot-day", role: "group", "aria-label": label }, h("h3", {}, label), h("div", { class: "slot-buttons" }, buttons)),
      ),
    );
  }

  let resumed = false;
  /** After a login, hold the slot that was picked before it, if it is still free. */
  function resume(): void {
    if (!picked || resumed || !me()) return;
    resumed = true;
    const button = [...grid.querySelectorAll<HTMLButtonElement>("button.slot")].find((b) => b.dataset.start === picked);
    if (button) void hold(button, picked);
    else fill(note, errorBox("The time you picked before logging in has been taken. Pick another."));
  }

  async function hold(button: HTMLButtonElement, start: string): Promise<void> {
    const user = me();
    if (!user) {
      const back = `${location.pathname}?${new URLSearchParams({ slot: start, session_type: type.value, duration: duration.value })}`;
      navigate(`/login?next=${encodeURIComponent(back)}`);
      return;
    }
    if (user.role !== "client") {
      fill(note, errorBox("Log in as a client to book a session."));
      return;
    }
    await busy(button, "Holding…", async () => {
      try {
        const booking = await post<Booking>(
          "/api/bookings",
          { coach_id: coach.id, start, session_type: type.value, duration: Number(duration.value) },
          idempotencyKey(),
        );
        navigate(`/book/${booking.id}`);
      } catch (error) {
        fill(note, errorBox(error instanceof ApiError && error.code === "slot_taken" ? "Someone just took this time. Pick another." : explain(error)));
        void load();
      }
    });
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

  type.addEventListener("change", () => {
    setDurations();
    void load();
  });
  duration.addEventListener("change", () => void load());
  previous.addEventListener("click", () => {
    const earlier = addDays(weekStart, -7);
    weekStart = earlier < new Date() ? new Date() : earlier;
    void load();
  });
  next.addEventListener("click", () => {
    weekStart = addDays(weekStart, 7);
    void load();
  });
  const stop = watchSlots(coach.id, (event) => changed(event.start, event.end));
  void load();
  return stop;
}
