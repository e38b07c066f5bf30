// The coach's profile and rates form, shared by the application and the dashboard.

import { get } from "../api";
import { field, h, select } from "../dom";
import { language, minorUnits, SESSION_TYPES, viewerZone, zoneLabel } from "../format";
import type { CoachSelf, Named, Offering } from "../types";

export const LANGUAGES = ["en", "es", "fr", "de", "pt-BR", "ar", "hi", "bn", "ko", "vi", "zh-Hans", "it", "nl", "pl", "tr", "ja"];
export const CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "NZD"];
// Common lengths to tick; the server takes any length from 10 to 240 minutes in steps of 5.
const DURATIONS = [10, 15, 20, 30, 45, 50, 60, 75, 90, 120, 180, 240];

export function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const known = intl.supportedValuesOf?.("timeZone") ?? [];
  return [...new Set(["UTC", viewerZone(), ...known])];
}

export interface ProfileForm {
  element: HTMLElement;
  /** The ProfileIn fields (without weekly hours). */
  value(): Record<string, unknown>;
}

function checks(name: string, legend: string, options: { value: string; label: string }[], chosen: string[]): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "checks" },
    h("legend", {}, legend),
    options.map((o) => h("label", {}, h("input", { type: "checkbox", name, value: o.value, checked: chosen.includes(o.value) }), ` ${o.label}`)),
  );
}

function checked(set: HTMLElement, name: string): string[] {
  return [...set.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export async function profileForm(current?: CoachSelf, name_?: string): Promise<ProfileForm> {
  const specialties = (await get<{ items: Named[] }>("/api/specialties")).items;
  const name = h("input", { name: "display_name", required: true, minlength: 2, value: current?.display_name ?? name_ ?? "" });
  const bio = h("textarea", { name: "bio", rows: 4, maxlength: 5000 });
  bio.value = current?.bio ?? "";
  const approach = h("textarea", { name: "approach", rows: 3, maxlength: 5000 });
  approach.value = current?.approach ?? "";
  const zone = select({ name: "time_zone" }, zones().map((z) => ({ value: z, label: zoneLabel(z) })), current?.time_zone ?? viewerZone());
  const years = h("input", { type: "number", name: "years_experience", min: 0, max: 70, required: true, value: current?.years_experience ?? "" });
  const currency = select({ name: "currency" }, CURRENCIES.map((c) => ({ value: c, label: c })), current?.currency ?? "USD");
  const languages = checks("languages", "Languages you offer sessions in", LANGUAGES.map((code) => ({ value: code, label: language(code) })), current?.languages ?? []);
  const specialtySet = checks("specialties", "Specialties (up to 10)", specialties.map((s) => ({ value: s.slug, label: s.name })), current?.specialties.map((s) => s.slug) ?? []);
  const offers = new Map((current?.session_types ?? []).map((o) => [o.session_type, o]));
  const units = () => 10 ** minorUnits(currency.value);
  const rows = (["video", "phone", "chat"] as const).map((type) => {
    const offer: Offering | undefined = offers.get(type);
    const on = h("input", { type: "checkbox", name: `offer-${type}`, checked: Boolean(offer) });
    const rate = h("input", { type: "number", name: `rate-${type}`, min: 1, step: "0.01", value: offer ? offer.rate_minor / units() : "" });
    const durations = checks(`durations-${type}`, "Lengths (minutes)", DURATIONS.map((d) => ({ value: String(d), label: String(d) })), (offer?.durations ?? [50]).map(String));
    // Video sessions may let the client call in from a telephone instead (docs/phone.md).
    const dialIn = h("input", { type: "checkbox", name: `dial-in-${type}`, checked: Boolean(offer?.dial_in) });
    const row = h(
      "fieldset",
      { class: "offering" },
      h("legend", {}, h("label", {}, on, ` ${SESSION_TYPES[type]} sessions`)),
      field(`${SESSION_TYPES[type]} rate per hour`, rate),
      durations,
      type === "video" ? h("label", { class: "check" }, dialIn, " Clients may also join by telephone (audio only)") : null,
    );
    return { type, on, rate, row, dialIn };
  });
  const element = h(
    "div",
    { class: "profile-form" },
    field("Name shown to clients", name),
    field("About you", bio),
    field("Your approach", approach),
    h("div", { class: "row" }, field("Your time zone", zone), field("Years of experience", years), field("Currency", currency)),
    languages,
    specialtySet,
    h("h3", {}, "Session types and rates"),
    rows.map((r) => r.row),
  );
  return {
    element,
    value() {
      return {
        display_name: name.value,
        bio: bio.value,
        approach: approach.value,
        time_zone: zone.value,
        years_experience: Number(years.value),
        currency: currency.value,
        languages: checked(languages, "languages"),
        specialties: checked(specialtySet, "specialties"),
        offerings: rows
          .filter((r) => r.on.checked)
          .map((r) => ({
            session_type: r.type,
            rate_minor: Math.round(Number(r.rate.value) * units()),
            durations: checked(r.row, `durations-${r.type}`).map(Number),
            dial_in: r.type === "video" && r.dialIn.checked,
          })),
      };
    },
  };
}
