// Paying (booking step 3): the demo provider's card form, or Stripe Elements when the server's
// payment provider is Stripe (it then sends its publishable key in `browser`).

import { post, request } from "./api";
import { field, h } from "./dom";
import type { Booking, PaymentStart } from "./types";

export interface PaymentForm {
  element: HTMLElement;
  /** Complete the payment; resolves with the confirmed booking, or throws ApiError/Error. */
  pay(key: string): Promise<Booking>;
}

export function demoForm(start: PaymentStart): PaymentForm {
  const card = h("input", {
    name: "card_number",
    inputmode: "numeric",
    autocomplete: "cc-number",
    pattern: "[0-9 ]{12,23}",
    required: true,
    value: "4242 4242 4242 4242",
  });
  const element = h(
    "div",
    { class: "demo-card" },
    h("p", { class: "hint" }, "Demo payments: no money moves. A card ending 0002 is declined."),
    field("Card number", card),
  );
  return {
    element,
    async pay(key: string): Promise<Booking> {
      const url = typeof start.browser.confirm_url === "string" ? start.browser.confirm_url : "/api/payments/demo/confirm";
      const answer = await post<{ booking: Booking }>(
        url,
        { client_secret: start.client_secret, card_number: card.value.replace(/\s+/g, "") },
        key,
      );
      return answer.booking;
    },
  };
}

/**
 * Stripe Elements: loaded only when the server says its provider is Stripe. The Payment Element
 * confirms the PaymentIntent in the browser; then the server is asked to read the payment from
 * Stripe (`payment/refresh`), which confirms the booking without waiting for the webhook, asked
 * again while Stripe is still processing it.
 */
export async function stripeForm(start: PaymentStart, bookingId: string): Promise<PaymentForm> {
  const key = start.browser.publishable_key;
  if (typeof key !== "string" || !key) throw new Error("The server sent no Stripe publishable key.");
  const { loadStripe } = await import("@stripe/stripe-js");
  const stripe = await loadStripe(key);
  if (!stripe) throw new Error("Stripe could not be loaded.");
  const elements = stripe.elements({ clientSecret: start.client_secret });
  const mount = h("div", { class: "stripe-element" });
  elements.create("payment").mount(mount);
  return {
    element: mount,
    async pay(): Promise<Booking> {
      const result = await stripe.confirmPayment({ elements, redirect: "if_required" });
      if (result.error) throw new Error(result.error.message ?? "The payment was declined.");
      for (let tries = 0; tries < 30; tries += 1) {
        const answer = await request<{ booking: Booking }>("POST", `/api/bookings/${bookingId}/payment/refresh`);
        if (answer.booking.status !== "held") return answer.booking;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      throw new Error("The payment went through but the booking is not confirmed yet. Check My sessions.");
    },
  };
}
