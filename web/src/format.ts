// Money and times for people: money from integer minor units, times in the viewer's zone.

import type { Price } from "./types";

export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function money(price: Price): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: price.currency })
    .resolvedOptions().maximumFractionDigits ?? 2;
  return new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency }).format(
    price.minor / 10 ** digits,
  );
}

export function minorUnits(currency: string): number {
  return (
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

// One date format throughout, the browser's locale through Intl; every date-and-time names
// its zone ("Tue, 10 Mar, 09:00 EDT"), a time beside it (the end of a range) may leave it out.

/** A day and time in `zone` (the viewer's), with the zone's short name. */
export function dateTime(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
    timeZoneName: "short",
  }).format(new Date(iso));
}

/** A time of day in `zone`; `named`: with the zone's short name. */
export function clock(iso: string, zone = viewerZone(), named = false): string {
  return new Intl.DateTimeFormat(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
    timeZoneName: named ? "short" : undefined,
  }).format(new Date(iso));
}

/** A session's time: "Tue, 10 Mar, 09:00 – 09:50 EDT" (the zone named once). */
export function span(startIso: string, endIso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
    timeZoneName: "short",
  }).formatRange(new Date(startIso), new Date(endIso));
}

/** A calendar date ("10 March 2026"), for days that are not session times. */
export function longDate(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeZone: zone }).format(new Date(iso));
}

/** A zone as people name it, with the IANA id: "Mountain Time — Phoenix (America/Phoenix)". */
export function zoneLabel(zone: string): string {
  const city = zone.split("/").pop()?.replaceAll("_", " ") ?? zone;
  let generic = "";
  try {
    generic = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longGeneric" })
      .formatToParts(new Date())
      .find((part) => part.type === "timeZoneName")?.value ?? "";
  } catch {
    return zone;
  }
  if (!generic || generic.startsWith("GMT") || zone === "UTC") return zone === "UTC" ? "UTC" : `${city} (${zone})`;
  return `${generic} — ${city} (${zone})`;
}

export function day(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    timeZone: zone,
  }).format(new Date(iso));
}

/** `YYYY-MM-DD` of a date in a zone. */
export function isoDate(date: Date, zone = viewerZone()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(date);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

const LANGUAGES = new Intl.DisplayNames(["en"], { type: "language" });
export function language(code: string): string {
  try {
    return LANGUAGES.of(code) ?? code;
  } catch {
    return code;
  }
}

export const SESSION_TYPES: Record<string, string> = {
  video: "Video",
  phone: "Phone",
  chat: "Chat",
};

export function stars(average: number | null, count: number): string {
  if (average === null || count === 0) return "No reviews yet";
  return `★ ${average.toFixed(1)} (${count} review${count === 1 ? "" : "s"})`;
}

export function statusLabel(status: string): string {
  return status.replaceAll("_", " ");
}
