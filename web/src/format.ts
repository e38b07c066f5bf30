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

export function dateTime(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
  }).format(new Date(iso));
}

export function clock(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
  }).format(new Date(iso));
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
