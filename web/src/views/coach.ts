// A coach's profile and the slot picker: slots in the viewer's zone, removed as soon as
// `slots:changed` says someone else took them.

import { ApiError, explain, get, idempotencyKey, me, post } from "../api";
import { busy, errorBox, field, fill, h, select, spinner, status } from "../dom";
import { dateTime, day, language, money, SESSION_TYPES, stars, viewerZone, zoneLabel } from "../format";
import { watchSlots } from "../live";
import { focusHeading, navigate } from "../router";
import type { Booking, CoachProfile, Review } from "../types";
import { avatar, rates, tags } from "./common";
import { favouriteButton } from "./favourites";
import { weekPicker } from "./weekpicker";

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
        coach.next_available ? h("p", { class: "next-free" }, `Next available: ${dateTime(coach.next_available)}`) : null,
        tags(coach.badges, "badge"),
        favouriteButton(coach.id, coach.display_name),
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
        const page = await get<{ items: Review[]; next_cursor: string | null }>(`/api/coaches/${coach.id}/reviews`, {
          limit: cursor ? 20 : 20 + coach.reviews.length,
          cursor,
        });
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
  const price = h("p", { class: "price" });
  const note = status();
  const picker = weekPicker({
    coachId: coach.id,
    zone,
    near: picked,
    offering: () => ({ session_type: type.value, duration: duration.value }),
    onPick: (button, start) => void hold(button, start),
    onLoaded: (answer) => {
      price.textContent = `${answer.duration} minutes: ${money(answer.price)}`;
      resume();
    },
  });
  fill(
    section,
    h("h2", { id: "slots-title" }, "Book a session"),
    h("p", { class: "hint" }, `Times are in your time zone: ${zoneLabel(zone)}.`),
    h("div", { class: "row" }, field("Session type", type), field("Length", duration)),
    price,
    note,
    picker.element,
  );

  let resumed = false;
  /** After a login, hold the slot that was picked before it, if it is still free. */
  function resume(): void {
    if (!picked || resumed || !me()) return;
    resumed = true;
    const button = [...picker.grid.querySelectorAll<HTMLButtonElement>("button.slot")].find((b) => b.dataset.start === picked);
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
        void picker.load();
      }
    });
  }

  type.addEventListener("change", () => {
    setDurations();
    void picker.load();
  });
  duration.addEventListener("change", () => void picker.load());
  const stop = watchSlots(coach.id, (event) => picker.changed(event.start, event.end));
  void picker.load();
  return stop;
}
