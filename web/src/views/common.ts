// Pieces several screens share.

import { h } from "../dom";
import { dateTime, language, money, SESSION_TYPES, stars } from "../format";
import type { CoachCard, Named, Offering } from "../types";

/** Initials, not the photo: photos live on another host, which the page's CSP does not load. */
export function avatar(name: string, size = "md"): HTMLElement {
  const initials = name
    .split(/\s+/)
    .filter((part) => /^[A-Za-zÀ-ÿ]/.test(part))
    .slice(-2)
    .map((part) => part[0])
    .join("")
    .toUpperCase();
  return h("span", { class: `avatar ${size}`, "aria-hidden": "true" }, initials || "?");
}

export function tags(items: Named[], kind: string): HTMLElement {
  return h(
    "ul",
    { class: `tags ${kind}`, "aria-label": kind === "badge" ? "Badges" : "Specialties" },
    items.map((item) => h("li", {}, item.name)),
  );
}

export function rates(offerings: Offering[], currency: string): HTMLElement {
  return h(
    "ul",
    { class: "rates", "aria-label": "Rates" },
    offerings.map((o) =>
      h(
        "li",
        {},
        h("strong", {}, SESSION_TYPES[o.session_type] ?? o.session_type),
        ` ${money({ minor: o.rate_minor, currency })}/hour · ${o.durations.join(", ")} min`,
        o.session_type === "video" && o.dial_in ? " · or join by telephone" : "",
      ),
    ),
  );
}

export function languages(codes: string[]): string {
  return codes.map(language).join(", ");
}

export function coachCard(coach: CoachCard): HTMLElement {
  return h(
    "li",
    { class: "coach-card card" },
    avatar(coach.display_name),
    h(
      "div",
      {},
      h("h2", {}, h("a", { href: `/coaches/${coach.id}` }, coach.display_name)),
      h(
        "p",
        { class: "meta" },
        coach.online ? h("span", { class: "online" }, "Online now · ") : null,
        stars(coach.rating.average, coach.rating.count),
        ` · ${coach.years_experience} years · speaks ${languages(coach.languages)}`,
      ),
      coach.next_available ? h("p", { class: "next-free" }, `Next available: ${dateTime(coach.next_available)}`) : null,
      tags(coach.specialties, "specialty"),
      coach.badges.length ? tags(coach.badges, "badge") : null,
      rates(coach.session_types, coach.currency),
    ),
  );
}
