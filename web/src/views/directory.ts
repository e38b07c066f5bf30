// The directory: every filter GET /api/coaches takes, kept in the address so a search can be
// shared and survives the back button.

import { explain, get } from "../api";
import { busy, errorBox, field, h, select, spinner } from "../dom";
import { language, minorUnits, viewerZone } from "../format";
import { focusHeading, navigate } from "../router";
import type { CoachCard, Named } from "../types";
import { coachCard } from "./common";
import { CURRENCIES, LANGUAGES } from "./profileform";

// What a refused filter is called on this page, for the error (not the API's field name).
const FILTER_NAMES: Record<string, string> = {
  min_price: "Min price",
  max_price: "Max price",
  currency: "Currency",
  session_type: "Session type",
  available_from: "Free between",
  available_to: "Free between … and",
  min_rating: "Rating",
  language: "Speaks",
  specialty: "Specialties",
};

interface Page {
  items: CoachCard[];
  next_cursor: string | null;
}

let specialtiesCache: Named[] | null = null;

async function specialties(): Promise<Named[]> {
  specialtiesCache ??= (await get<{ items: Named[] }>("/api/specialties")).items;
  return specialtiesCache;
}

function checkboxes(name: string, legend: string, options: { value: string; label: string }[], chosen: string[]): HTMLElement {
  return h(
    "fieldset",
    { class: "checks" },
    h("legend", {}, legend),
    options.map((o) =>
      h(
        "label",
        {},
        h("input", { type: "checkbox", name, value: o.value, checked: chosen.includes(o.value) }),
        ` ${o.label}`,
      ),
    ),
  );
}

/** A `datetime-local` value (the viewer's wall clock) as ISO 8601 with the viewer's offset. */
function withOffset(local: string): string {
  const date = new Date(local);
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${local.length === 16 ? `${local}:00` : local}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

export async function directory(main: HTMLElement, _: string[], query: URLSearchParams): Promise<void> {
  main.append(h("h1", {}, "Find a coach"), spinner("Loading specialties…"));
  let named: Named[] = [];
  try {
    named = await specialties();
  } catch (error) {
    main.append(errorBox(explain(error)));
  }
  main.querySelector(".loading")?.remove();

  const sessionType = select(
    { name: "session_type" },
    [
      { value: "", label: "Any" },
      { value: "video", label: "Video" },
      { value: "phone", label: "Phone" },
      { value: "chat", label: "Chat" },
    ],
    query.get("session_type") ?? "",
  );
  const currency = select(
    { name: "currency" },
    [{ value: "", label: "Any (prices in USD)" }, ...CURRENCIES.map((c) => ({ value: c, label: c }))],
    query.get("currency") ?? "",
  );
  const scale = (value: string | null) => {
    if (!value) return "";
    return String(Number(value) / 10 ** minorUnits(query.get("currency") || "USD"));
  };
  const minPrice = h("input", { type: "number", name: "min_price", min: 0, step: 1, value: scale(query.get("min_price")) });
  const maxPrice = h("input", { type: "number", name: "max_price", min: 0, step: 1, value: scale(query.get("max_price")) });
  const minRating = select(
    { name: "min_rating" },
    [
      { value: "", label: "Any" },
      { value: "4.5", label: "4.5 and up" },
      { value: "4", label: "4 and up" },
      { value: "3", label: "3 and up" },
    ],
    query.get("min_rating") ?? "",
  );
  const fromLocal = (iso: string | null) => (iso ? iso.slice(0, 16) : "");
  const availableFrom = h("input", { type: "datetime-local", name: "available_from", value: fromLocal(query.get("available_from")) });
  const availableTo = h("input", { type: "datetime-local", name: "available_to", value: fromLocal(query.get("available_to")) });
  const sort = select(
    { name: "sort" },
    [
      { value: "relevance", label: "Relevance" },
      { value: "rating", label: "Rating" },
      { value: "price", label: "Price" },
    ],
    query.get("sort") ?? "relevance",
  );
  const search = h("button", { type: "submit", class: "primary" }, "Search");
  const reset = h("a", { href: "/", class: "button" }, "Clear filters");
  const form = h(
    "form",
    { class: "filters card", role: "search", "aria-label": "Filter coaches" },
    checkboxes(
      "specialty",
      "Specialties",
      named.map((s) => ({ value: s.slug, label: s.name })),
      query.getAll("specialty"),
    ),
    checkboxes(
      "language",
      "Speaks",
      LANGUAGES.map((code) => ({ value: code, label: language(code) })),
      query.getAll("language"),
    ),
    h(
      "div",
      { class: "row" },
      field("Session type", sessionType),
      field("Min price per hour", minPrice, "Any session type unless you pick one."),
      field("Max price per hour", maxPrice),
      field("Currency", currency, "Prices are compared only among coaches charging in it."),
      field("Rating", minRating),
    ),
    h(
      "div",
      { class: "row" },
      field("Free between", availableFrom, `Your time (${viewerZone()}).`),
      field("and", availableTo),
      field("Sort by", sort),
    ),
    h("div", { class: "actions" }, search, reset),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const box of form.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")) {
      params.append(box.name, box.value);
    }
    const units = 10 ** minorUnits(currency.value || "USD");
    if (sessionType.value) params.set("session_type", sessionType.value);
    if (minPrice.value) params.set("min_price", String(Math.round(Number(minPrice.value) * units)));
    if (maxPrice.value) params.set("max_price", String(Math.round(Number(maxPrice.value) * units)));
    if (currency.value) params.set("currency", currency.value);
    if (minRating.value) params.set("min_rating", minRating.value);
    if (availableFrom.value && availableTo.value) {
      params.set("available_from", withOffset(availableFrom.value));
      params.set("available_to", withOffset(availableTo.value));
    }
    if (sort.value !== "relevance") params.set("sort", sort.value);
    const text = params.toString();
    navigate(text ? `/?${text}` : "/");
  });

  const results = h("ul", { class: "coach-list", id: "results", tabindex: "-1", "aria-label": "Coaches" });
  const summary = h("p", { class: "summary", role: "status", "aria-live": "polite" });
  const more = h("button", { type: "button", hidden: true }, "More coaches");
  // Open on wide screens; on a phone the results come first, the filters a tap away.
  const active = [...query.keys()].filter((k) => k !== "sort").length;
  const wide = window.matchMedia("(min-width: 641px)").matches;
  // Past the filters in one keystroke, for keyboard and screen-reader users.
  const skip = h("a", { class: "skip", href: "#results" }, "Skip to results");
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    results.focus();
  });
  // Right after the heading, where the page puts the focus.
  const heading = main.querySelector("h1");
  if (heading) heading.after(skip);
  else main.prepend(skip);
  main.append(
    h("details", { class: "filter-box", open: wide }, h("summary", {}, active ? `Filters (${active} on)` : "Filters"), form),
    summary,
    results,
    more,
  );
  focusHeading(main);

  const apiQuery: Record<string, string | string[]> = {};
  for (const name of ["session_type", "min_price", "max_price", "currency", "min_rating", "available_from", "available_to", "sort"]) {
    const value = query.get(name);
    if (value) apiQuery[name] = value;
  }
  apiQuery.specialty = query.getAll("specialty");
  apiQuery.language = query.getAll("language");
  let shown = 0;

  async function load(cursor: string | null): Promise<void> {
    try {
      const page = await get<Page>("/api/coaches", { ...apiQuery, limit: 12, cursor });
      results.append(...page.items.map(coachCard));
      shown += page.items.length;
      // Price filters and the price sort compare one currency: say which.
      const priced = apiQuery.min_price || apiQuery.max_price || apiQuery.sort === "price";
      const inCurrency = priced ? ` charging in ${apiQuery.currency || "USD"}` : "";
      summary.textContent = shown
        ? `${shown} coach${shown === 1 ? "" : "es"}${inCurrency}${page.next_cursor ? " so far" : ""}`
        : `No coach${inCurrency} matches these filters. Try fewer.`;
      more.hidden = !page.next_cursor;
      more.onclick = () => void busy(more, "Loading…", () => load(page.next_cursor));
    } catch (error) {
      summary.replaceChildren(errorBox(explain(error, FILTER_NAMES)));
    }
  }
  summary.textContent = "Searching…";
  await load(null);
}
