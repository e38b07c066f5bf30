// The four booking steps after the slot was held on the coach's page: session details,
// payment, confirmation with the calendar file.

import { ApiError, explain, get, idempotencyKey, patch, post } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { money, SESSION_TYPES, span } from "../format";
import { demoForm, stripeForm, type PaymentForm } from "../payment";
import { focusHeading, navigate } from "../router";
import type { Booking, CancellationTerms, PaymentStart } from "../types";
import { calendarLink, termsText } from "./sessions";

const STEPS = ["Time", "Details", "Payment", "Confirmed"];

function steps(current: number): HTMLElement {
  return h(
    "ol",
    { class: "steps", "aria-label": "Booking steps" },
    STEPS.map((name, index) =>
      h(
        "li",
        { class: index < current ? "done" : index === current ? "current" : "", "aria-current": index === current ? "step" : null },
        h("span", { class: "n" }, String(index + 1)),
        ` ${name}`,
      ),
    ),
  );
}

function summary(booking: Booking): HTMLElement {
  return h(
    "p",
    { class: "booking-summary" },
    h("strong", {}, `${SESSION_TYPES[booking.session_type] ?? booking.session_type} session with ${booking.coach_name}`),
    ` · ${span(booking.starts_at, booking.ends_at)} · ${booking.duration} min · ${money(booking.price)}`,
  );
}

/** A ticking "held until" line; stops when the element leaves the page. */
function holdTimer(booking: Booking): HTMLElement {
  const line = h("p", { class: "hold", role: "timer", "aria-live": "off" });
  if (!booking.hold_expires_at) return line;
  const until = Date.parse(booking.hold_expires_at);
  const tick = () => {
    if (!line.isConnected && line.dataset.started) return;
    line.dataset.started = "1";
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    line.textContent = left
      ? `We hold this time for you for ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} more.`
      : "The hold has expired: pick the time again.";
    if (left) setTimeout(tick, 1000);
  };
  tick();
  return line;
}

function keyFor(bookingId: string, step: string): string {
  const name = `flourish.key.${step}.${bookingId}`;
  let key = sessionStorage.getItem(name);
  if (!key) {
    key = idempotencyKey();
    sessionStorage.setItem(name, key);
  }
  return key;
}

export async function bookingFlow(main: HTMLElement, [bookingId]: string[], query: URLSearchParams): Promise<void> {
  main.append(spinner("Loading your booking…"));
  let booking: Booking;
  try {
    booking = await get<Booking>(`/api/bookings/${bookingId}`);
  } catch (error) {
    fill(main, h("h1", {}, "Booking"), errorBox(explain(error)));
    return;
  }
  if (booking.status !== "held") {
    confirmation(main, booking);
    return;
  }
  if (query.get("step") === "payment") await payment(main, booking);
  else details(main, booking);
}

function details(main: HTMLElement, booking: Booking): void {
  const focus = h("input", { name: "focus_area", maxlength: 200 });
  const preferred = h("input", { name: "preferred_name", maxlength: 100, autocomplete: "nickname" });
  const notes = h("textarea", { name: "notes_for_coach", rows: 4, maxlength: 4000 });
  const submit = h("button", { type: "submit", class: "primary" }, "Continue to payment");
  const note = status();
  const form = h(
    "form",
    { class: "card" },
    h("h2", {}, "Session details"),
    h("p", { class: "hint" }, "Optional. Only your coach sees these; they are stored encrypted."),
    field("What would you like to work on?", focus),
    field("What should your coach call you?", preferred),
    field("Anything your coach should know", notes),
    note,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(submit, "Saving…", async () => {
      try {
        await patch(`/api/bookings/${booking.id}`, {
          focus_area: focus.value || null,
          preferred_name: preferred.value || null,
          notes_for_coach: notes.value || null,
        });
        navigate(`/book/${booking.id}?step=payment`);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  fill(main, h("h1", {}, "Book your session"), steps(1), summary(booking), holdTimer(booking), form);
  focusHeading(main);
}

async function payment(main: HTMLElement, booking: Booking): Promise<void> {
  fill(main, h("h1", {}, "Book your session"), steps(2), summary(booking), holdTimer(booking), spinner("Preparing payment…"));
  focusHeading(main);
  let start: PaymentStart;
  let form: PaymentForm;
  let terms: CancellationTerms;
  try {
    terms = await get<CancellationTerms>(`/api/bookings/${booking.id}/cancellation-policy`);
    start = await post<PaymentStart>(`/api/bookings/${booking.id}/payment`, {}, keyFor(booking.id, "payment"));
    form = start.provider === "stripe" ? await stripeForm(start, booking.id) : demoForm(start);
  } catch (error) {
    main.querySelector(".loading")?.replaceWith(errorBox(explain(error)));
    return;
  }
  const submit = h("button", { type: "submit", class: "primary" }, `Pay ${money(start.amount)}`);
  const note = status();
  const back = h("a", { href: `/book/${booking.id}` }, "Back to details");
  const policy = h("p", { class: "policy", "data-testid": "cancellation-policy" }, termsText(terms));
  const card = h("form", { class: "card" }, h("h2", {}, "Payment"), policy, form.element, note, h("div", { class: "actions" }, submit, back));
  card.addEventListener("submit", (event) => {
    event.preventDefault();
    fill(note);
    void busy(submit, "Paying…", async () => {
      try {
        // A fresh key per attempt: a declined card may be retried with another one.
        const confirmed = await form.pay(idempotencyKey());
        confirmation(main, confirmed);
      } catch (error) {
        const text = error instanceof ApiError && error.code === "hold_expired"
          ? `${error.message} Pick a new time on the coach's page.`
          : explain(error);
        fill(note, errorBox(text));
      }
    });
  });
  main.querySelector(".loading")?.replaceWith(card);
}

function confirmation(main: HTMLElement, booking: Booking): void {
  const confirmed = booking.status === "confirmed";
  fill(
    main,
    h("h1", {}, confirmed ? "You're booked" : "Booking"),
    steps(confirmed ? 3 : 2),
    h(
      "section",
      { class: "card confirmation", role: confirmed ? "status" : null },
      summary(booking),
      h("p", {}, confirmed ? "Your session is confirmed. We've saved it in My sessions." : `This booking is ${booking.status.replaceAll("_", " ")}.`),
      confirmed ? h("div", { class: "actions" }, calendarLink(booking), h("a", { href: "/sessions", class: "button" }, "My sessions")) : h("a", { href: `/coaches/${booking.coach_id}` }, "Back to the coach"),
    ),
  );
  focusHeading(main);
}
