// My sessions: upcoming and past, join when the room is open, reschedule, cancel with the
// refund shown before confirming.

import { ApiError, accessToken, explain, get, has, idempotencyKey, me, post } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { clock, dateTime, money, SESSION_TYPES, span, statusLabel, viewerZone, zoneLabel } from "../format";
import { focusHeading } from "../router";
import type { Booking, CancellationTerms, Price } from "../types";
import { weekPicker } from "./weekpicker";

/** The room opens this long before the start (the server's join window, docs/protocol.md). */
export const JOIN_EARLY_MS = 10 * 60_000;

export function roomOpen(booking: Booking, now = Date.now()): boolean {
  return (
    ["confirmed", "in_progress"].includes(booking.status) &&
    now >= Date.parse(booking.starts_at) - JOIN_EARLY_MS &&
    now < Date.parse(booking.ends_at)
  );
}

/** The .ics needs the bearer token, so it is fetched and handed over as a file. */
export function calendarLink(booking: Booking): HTMLButtonElement {
  const button = h("button", { type: "button", class: "button" }, "Add to calendar (.ics)");
  button.addEventListener("click", () =>
    void busy(button, "Preparing…", async () => {
      const response = await fetch(`/api/bookings/${booking.id}/calendar.ics`, {
        headers: { Authorization: `Bearer ${accessToken() ?? ""}` },
      });
      if (!response.ok) return;
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `flourish-${booking.id}.ics` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  return button;
}

interface Quote {
  paid: Price;
  refund: Price;
  rule: string | null;
}

/** What cancelling now refunds, from the server (GET /api/bookings/{id}/cancellation, which
 * comes with payments); null when this server has no such route. */
async function refundQuote(booking: Booking): Promise<Quote | null> {
  if (!(await has("get", "/api/bookings/{id}/cancellation"))) return null;
  try {
    return await get<Quote>(`/api/bookings/${booking.id}/cancellation`);
  } catch {
    return null;
  }
}

/** The published default policy, for when the server gives no quote: full 24 h ahead, else half. */
function policyRefund(booking: Booking): Price {
  const full = Date.parse(booking.starts_at) - Date.now() >= 24 * 3_600_000;
  const minor = full ? booking.price.minor : Math.floor(booking.price.minor / 2);
  return { minor, currency: booking.price.currency };
}

function cancelDialog(booking: Booking, done: () => void): HTMLDialogElement {
  const reason = h("textarea", { name: "reason", rows: 3, maxlength: 500, required: true });
  const refundLine = h("p", { class: "refund", role: "status" }, "Working out your refund…");
  const confirm = h("button", { type: "submit", class: "danger" }, "Cancel session");
  const keep = h("button", { type: "button" }, "Keep it");
  const note = status();
  const dialog = h(
    "dialog",
    { class: "card", "aria-labelledby": `cancel-${booking.id}` },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: `cancel-${booking.id}` }, `Cancel your session with ${booking.coach_name}?`),
      h("p", {}, dateTime(booking.starts_at)),
      refundLine,
      field("Why are you canceling?", reason, "Only we see this."),
      note,
      h("div", { class: "actions" }, confirm, keep),
    ),
  );
  const isClient = me()?.role === "client";
  void (async () => {
    const quote = await refundQuote(booking);
    if (quote && quote.paid.minor === 0) refundLine.textContent = "Nothing has been paid, so nothing is refunded.";
    else if (quote && !isClient) refundLine.textContent = `Your client will be refunded ${money(quote.refund)} of ${money(quote.paid)}.`;
    else if (quote) refundLine.textContent = `You will be refunded ${money(quote.refund)} of ${money(quote.paid)}${quote.rule === "client_late" ? " (less than 24 hours before the start)" : ""}.`;
    else if (!isClient) refundLine.textContent = `Your client gets a full refund of ${money(booking.price)}.`;
    else if (booking.status === "held") refundLine.textContent = "Nothing has been paid yet.";
    else refundLine.textContent = `Under our cancellation policy you will be refunded ${money(policyRefund(booking))} of ${money(booking.price)} (full refund 24 hours or more before the start, half after).`;
  })();
  keep.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  confirm.addEventListener("click", (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      fill(note, errorBox("Please give a reason."));
      reason.focus();
      return;
    }
    void busy(confirm, "Canceling…", async () => {
      try {
        const canceled = await post<Booking & { refund?: Price | { amount: Price } | null }>(`/api/bookings/${booking.id}/cancel`, { reason: reason.value }, idempotencyKey());
        dialog.close();
        done();
        const refund = canceled.refund && "amount" in canceled.refund ? canceled.refund.amount : canceled.refund;
        const refunded = refund && refund.minor > 0 ? ` ${money(refund)} is on its way back${isClient ? " to you" : " to your client"}.` : "";
        announce(`Session canceled.${refunded}`);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return dialog;
}

/** The cancellation terms in words, with this booking's amounts and times in the viewer's zone. */
export function termsText(terms: CancellationTerms): string {
  const late = `${terms.late_percent}% (${money(terms.late_refund)})`;
  const after = `once the session has started it can no longer be canceled.`;
  if (Date.parse(terms.free_until) > Date.now()) {
    return `Cancellation policy: free cancellation until ${dateTime(terms.free_until)} (${money(terms.price)} back). After that, ${late} is refunded; ${after}`;
  }
  return `Cancellation policy: this session starts within a day, so a cancellation refunds ${late}; ${after}`;
}

/** Whether moving to `start` ends a free cancellation the booking has now. */
async function shrinksRefund(booking: Booking, start: string): Promise<CancellationTerms | null> {
  const path = `/api/bookings/${booking.id}/cancellation-policy`;
  const [now, moved] = await Promise.all([get<CancellationTerms>(path), get<CancellationTerms>(path, { start })]);
  const free = (terms: CancellationTerms) => Date.parse(terms.free_until) > Date.now();
  return free(now) && !free(moved) ? moved : null;
}

function rescheduleForm(booking: Booking, done: () => void): HTMLElement {
  const zone = viewerZone();
  const note = status();
  const chosen = h("p", { class: "chosen", "aria-live": "polite" });
  const move = h("button", { type: "submit", class: "primary", disabled: true }, "Move session");
  let start = "";
  // A client moving into the last day before a session is told what that does to a refund
  // first, and confirms with a second click.
  let warned = "";
  // The same week picker as booking, on this session's type and length.
  const picker = weekPicker({
    coachId: booking.coach_id,
    zone,
    near: booking.starts_at,
    offering: () => ({ session_type: booking.session_type, duration: String(booking.duration) }),
    onPick: (button, picked) => {
      for (const other of picker.grid.querySelectorAll("button.slot[aria-pressed]")) other.removeAttribute("aria-pressed");
      button.setAttribute("aria-pressed", "true");
      start = picked;
      warned = "";
      fill(note);
      chosen.textContent = `New time: ${span(picked, new Date(Date.parse(picked) + booking.duration * 60_000).toISOString(), zone)}`;
      move.disabled = false;
      move.textContent = "Move session";
    },
  });
  const form = h(
    "form",
    { class: "reschedule" },
    h("p", { class: "hint" }, `Pick a new time (your time zone: ${zoneLabel(zone)}).`),
    picker.element,
    chosen,
    note,
    h("div", { class: "actions" }, move),
  );
  void picker.load();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!start) return;
    void busy(move, "Moving…", async () => {
      try {
        if (me()?.role !== "coach" && warned !== start) {
          const moved = await shrinksRefund(booking, start);
          if (moved) {
            warned = start;
            fill(note, h("p", { class: "warning", role: "alert" }, `Moving to that time ends your free cancellation: once moved, a cancellation refunds only ${moved.late_percent}% (${money(moved.late_refund)}), not all of it.`));
            setTimeout(() => (move.textContent = "Move anyway"));
            return;
          }
        }
        const body: Record<string, unknown> = { start };
        if (me()?.role === "coach") body.coach_consent = true;
        await post<Booking>(`/api/bookings/${booking.id}/reschedule`, body, idempotencyKey());
        announce("Session moved.");
        done();
      } catch (error) {
        fill(note, errorBox(error instanceof ApiError && error.code === "reschedule_needs_consent" ? "It is too close to the start to move it yourself: ask your coach." : explain(error)));
        void picker.load();
      }
    });
  });
  return form;
}

let announcer: HTMLElement | null = null;
function announce(text: string): void {
  if (announcer) announcer.textContent = text;
}

export function bookingItem(booking: Booking, refresh: () => void): HTMLElement {
  const role = me()?.role;
  const other = role === "coach" ? (booking.client_name ?? "your client") : booking.coach_name;
  const open = roomOpen(booking);
  const actions = h("div", { class: "actions" });
  if (open) actions.append(h("a", { href: `/sessions/${booking.id}`, class: "button primary" }, "Join session"));
  else if (["confirmed"].includes(booking.status)) {
    const opens = new Date(Date.parse(booking.starts_at) - JOIN_EARLY_MS).toISOString();
    const today = new Date(opens).toDateString() === new Date().toDateString();
    actions.append(h("span", { class: "hint" }, `Room opens ${today ? `at ${clock(opens, viewerZone(), true)}` : dateTime(opens)}`));
  }
  else if (Date.now() >= Date.parse(booking.ends_at) && !["held", "expired"].includes(booking.status) && !booking.status.startsWith("canceled")) {
    actions.append(h("a", { href: `/sessions/${booking.id}`, class: "button" }, "Chat and notes"));
  }
  if (booking.status === "held") actions.append(h("a", { href: `/book/${booking.id}`, class: "button" }, "Finish booking"));
  if (booking.status === "confirmed") actions.append(calendarLink(booking));
  if (role !== "coach" && !["held", "confirmed", "in_progress"].includes(booking.status)) {
    const again = new URLSearchParams({ session_type: booking.session_type, duration: String(booking.duration) });
    actions.append(h("a", { href: `/coaches/${booking.coach_id}?${again}`, class: "button" }, "Book again"));
  }
  const item = h(
    "li",
    { class: "card booking", "data-booking": booking.id, "data-status": booking.status },
    h("h2", {}, `${SESSION_TYPES[booking.session_type] ?? booking.session_type} session with ${other}`),
    h("p", {}, `${span(booking.starts_at, booking.ends_at)} · ${booking.duration} min · ${money(booking.price)}`),
    h("p", { class: `badge-status ${booking.status}` }, statusLabel(booking.status)),
    booking.unread_messages ? h("p", { class: "unread" }, `${booking.unread_messages} unread message${booking.unread_messages === 1 ? "" : "s"}`) : null,
    actions,
  );
  if (DECIDED[booking.status]) item.append(attendanceDetails(booking, role ?? ""));
  if ((booking.dial_in ?? booking.session_type === "phone") && booking.status === "confirmed") item.append(dialInDetails(booking));
  if (role !== "coach" && booking.status === "completed" && !booking.reviewed) item.append(reviewForm(booking));
  if (booking.actions.includes("reschedule")) {
    const button = h("button", { type: "button", "aria-expanded": "false" }, "Reschedule");
    button.addEventListener("click", () => {
      const shown = item.querySelector(".reschedule");
      if (shown) {
        shown.remove();
        button.setAttribute("aria-expanded", "false");
        return;
      }
      button.setAttribute("aria-expanded", "true");
      item.append(rescheduleForm(booking, refresh));
    });
    actions.append(button);
  }
  if (booking.actions.some((a) => a.startsWith("cancel"))) {
    const button = h("button", { type: "button", class: "danger" }, "Cancel");
    button.addEventListener("click", () => {
      const dialog = cancelDialog(booking, refresh);
      document.body.append(dialog);
      dialog.showModal();
    });
    actions.append(button);
  }
  return item;
}

/** A dial-in session's number and the reader's own PIN, asked for when opened (the server says
 * 404 when dial-in is off: then the details say how to join from the browser instead). */
function dialInDetails(booking: Booking): HTMLElement {
  const details = h("details", { class: "dial-in" }, h("summary", {}, "Join by telephone"));
  details.addEventListener("toggle", () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    void get<{ number: string; pin: string }>(`/api/bookings/${booking.id}/phone`)
      .then((dial) =>
        details.append(
          h("p", {}, "Call ", h("a", { href: `tel:${dial.number}` }, dial.number), ", then type your PIN and #:"),
          h("p", { class: "pin", "aria-label": `PIN ${dial.pin.split("").join(" ")}` }, dial.pin),
          h("p", { class: "hint" }, "It works from ten minutes before the start. Keep it to yourself."),
        ),
      )
      .catch((error: unknown) =>
        details.append(h("p", {}, error instanceof ApiError && error.status === 404 ? "Dial-in is not available here: join from this page in your browser." : explain(error))),
      );
  });
  return details;
}

/** The client's review of a completed session: stars, words, and whether to show a name. */
function reviewForm(booking: Booking): HTMLElement {
  const legend = h("legend", {}, "Your rating");
  const stars = h(
    "fieldset",
    { class: "stars-input" },
    legend,
    ...[5, 4, 3, 2, 1].map((n) => {
      const input = h("input", { type: "radio", name: `stars-${booking.id}`, value: String(n) });
      return h("label", {}, input, ` ${n} star${n === 1 ? "" : "s"}`);
    }),
  );
  const text = h("textarea", { maxlength: 2000, rows: 3 });
  const named = h("input", { type: "checkbox" });
  const said = status();
  const send = h("button", { type: "submit", class: "primary" }, "Post review");
  const form = h(
    "form",
    { class: "review-form" },
    h("h3", {}, `Review your session with ${booking.coach_name}`),
    stars,
    field("What would you tell someone considering this coach? (optional)", text),
    h("label", { class: "check" }, named, " Show my first name and initial (otherwise the review is anonymous)"),
    send,
    said,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const picked = form.querySelector<HTMLInputElement>(`input[name="stars-${booking.id}"]:checked`);
    if (!picked) {
      said.textContent = "Choose 1 to 5 stars.";
      return;
    }
    void busy(send, "Posting…", async () => {
      try {
        await post(`/api/bookings/${booking.id}/review`, { rating: Number(picked.value), text: text.value, anonymous: !named.checked });
        form.replaceChildren(h("p", { class: "done", role: "status" }, `Thank you. Your review is on ${booking.coach_name}’s profile.`));
      } catch (error) {
        said.textContent = explain(error);
      }
    });
  });
  return h("details", { class: "review" }, h("summary", {}, "Review this session"), form);
}

/** What each decided outcome means, in the reader's words. */
const DECIDED: Record<string, string> = {
  completed: "Completed: you were both there.",
  no_show_client: "The client did not join within 15 minutes of the start (no-show).",
  no_show_coach: "The coach did not join: the client is refunded in full.",
  interrupted: "Interrupted: the session did not go as booked. Our team will resolve it.",
};

interface Attendance {
  outcome: string | null;
  together_seconds: number;
  stays: { role: string; via: string; joined_at: string; left_at: string | null }[];
}

/** The outcome of a decided session and the attendance it was decided from, on demand. */
function attendanceDetails(booking: Booking, role: string): HTMLElement {
  const details = h("details", { class: "attendance" }, h("summary", {}, "Attendance"), h("p", {}, DECIDED[booking.status]));
  details.addEventListener("toggle", () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    void (async () => {
      try {
        const seen = await get<Attendance>(`/api/bookings/${booking.id}/attendance`);
        const who = (r: string) => (r === role ? "You" : r === "coach" ? "Coach" : "Client");
        details.append(
          h("p", {}, `Together for ${Math.round(seen.together_seconds / 60)} of ${booking.duration} minutes.`),
          seen.stays.length
            ? h("ul", {}, seen.stays.map((s) => h("li", {}, `${who(s.role)}${s.via === "phone" ? " (by phone)" : ""}: ${clock(s.joined_at)} – ${s.left_at ? clock(s.left_at) : "end"}`)))
            : h("p", {}, "Nobody joined the room."),
        );
      } catch (error) {
        details.append(errorBox(explain(error)));
      }
    })();
  });
  return details;
}

export async function sessions(main: HTMLElement, _: string[], query: URLSearchParams): Promise<() => void> {
  const when = query.get("when") === "past" ? "past" : "upcoming";
  const role = me()?.role === "coach" ? "coach" : "client";
  announcer = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const list = h("ul", { class: "bookings" });
  main.append(
    h("h1", {}, role === "coach" ? "Your sessions" : "My sessions"),
    h(
      "nav",
      { class: "tabs", "aria-label": "Which sessions" },
      h("a", { href: "/sessions", "aria-current": when === "upcoming" ? "page" : null }, "Upcoming"),
      h("a", { href: "/sessions?when=past", "aria-current": when === "past" ? "page" : null }, "Past"),
    ),
    announcer,
    list,
  );
  focusHeading(main);
  async function load(): Promise<void> {
    fill(list, spinner("Loading sessions…"));
    try {
      const answer = await get<{ items: Booking[] }>("/api/bookings", { role, when, limit: 50 });
      const items = answer.items.filter((b) => when === "past" || b.status !== "expired");
      fill(list, items.length ? items.map((b) => bookingItem(b, () => void load())) : h("p", {}, when === "past" ? "No past sessions." : "No upcoming sessions. Find a coach to book one."));
    } catch (error) {
      fill(list, errorBox(explain(error)));
    }
  }
  await load();
  // The join button appears when the room opens, without a reload (unless a form is open).
  const timer = setInterval(() => {
    if (!list.querySelector(".reschedule") && !document.querySelector("dialog[open]")) void load();
  }, 60_000);
  return () => clearInterval(timer);
}
