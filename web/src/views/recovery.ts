// The pages the emailed links open: confirm an address, ask for and choose a new password.

import { explain, post } from "../api";
import { busy, errorBox, field, h, status } from "../dom";
import { focusHeading } from "../router";

function card(title: string, ...children: (HTMLElement | string)[]): HTMLElement {
  const id = `${title.toLowerCase().replace(/\W+/g, "-")}-title`;
  return h("section", { class: "card narrow", "aria-labelledby": id }, h("h1", { id }, title), ...children);
}

export function verifyEmail(main: HTMLElement, _: string[], query: URLSearchParams): void {
  const note = status("Confirming your address…");
  main.append(card("Confirm your email", note));
  focusHeading(main);
  void post("/api/auth/verify-email", { token: query.get("token") ?? "" })
    .then(() => {
      note.replaceChildren("Your address is confirmed: you can book sessions now. ", h("a", { href: "/" }, "Find a coach"));
    })
    .catch((error: unknown) => {
      note.replaceChildren(errorBox(explain(error)), h("a", { href: "/login" }, "Log in to ask for a new link"));
    });
}

export function forgotPassword(main: HTMLElement): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Email me a link");
  const note = status();
  const form = h("form", {}, field("Email", email), note, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    note.replaceChildren();
    void busy(submit, "Sending…", async () => {
      try {
        const answer = await post<{ message: string }>("/api/auth/password/forgot", { email: email.value });
        note.replaceChildren(answer.message);
      } catch (error) {
        note.replaceChildren(errorBox(explain(error)));
      }
    });
  });
  main.append(card("Forgot your password?", form));
  focusHeading(main);
}

export function resetPassword(main: HTMLElement, _: string[], query: URLSearchParams): void {
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    minlength: 12,
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Set the new password");
  const note = status();
  const form = h(
    "form",
    {},
    field("New password", password, "At least 12 characters, hard to guess. Every login session ends."),
    note,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    note.replaceChildren();
    void busy(submit, "Saving…", async () => {
      try {
        await post("/api/auth/password/reset", { token: query.get("token") ?? "", password: password.value });
        form.replaceChildren("Your password is changed. ", h("a", { href: "/login" }, "Log in"));
      } catch (error) {
        note.replaceChildren(errorBox(explain(error)));
      }
    });
  });
  main.append(card("Choose a new password", form));
  focusHeading(main);
}
