// Log in and register.

import { ApiError, explain, post, signIn, type User } from "../api";
import { busy, errorBox, field, h, select, status } from "../dom";
import { viewerZone } from "../format";
import { focusHeading, navigate } from "../router";

interface LoggedIn {
  user: User;
  tokens: { access_token: string; refresh_token?: string; expires_in?: number };
  two_factor_setup_required: boolean;
}

function home(user: User): string {
  if (user.role === "admin") return "/admin";
  if (user.role === "coach") return "/coach";
  return "/";
}

function afterLogin(query: URLSearchParams, user: User): string {
  const next = query.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : home(user);
}

export function login(main: HTMLElement, _: string[], query: URLSearchParams): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const otp = h("input", { name: "otp", inputmode: "numeric", autocomplete: "one-time-code" });
  const otpField = field("Two-factor code", otp, "From your authenticator app, or a recovery code.");
  otpField.hidden = true;
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const note = status();
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Log in"),
    field("Email", email),
    field("Password", password),
    otpField,
    note,
    submit,
    h("p", {}, "New here? ", h("a", { href: "/register" }, "Create an account")),
    h("p", {}, h("a", { href: "/forgot-password" }, "Forgot your password?")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    note.replaceChildren();
    void busy(submit, "Logging in…", async () => {
      try {
        const body: Record<string, string> = { email: email.value, password: password.value };
        if (otp.value) body.otp = otp.value;
        const answer = await post<LoggedIn>("/api/auth/login", body);
        signIn(answer.user, answer.tokens);
        const next = afterLogin(query, answer.user);
        navigate(answer.two_factor_setup_required ? `/two-factor?next=${encodeURIComponent(next)}` : next);
      } catch (error) {
        if (error instanceof ApiError && error.code.startsWith("otp_")) otpField.hidden = false;
        note.replaceChildren(errorBox(explain(error)));
      }
    });
  });
  main.append(form);
  focusHeading(main);
}

export function register(main: HTMLElement, _: string[], query: URLSearchParams): void {
  const name = h("input", { name: "display_name", autocomplete: "name", required: true });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    minlength: 12,
    required: true,
  });
  const role = select(
    { name: "role" },
    [
      { value: "client", label: "Find a coach (client)" },
      { value: "coach", label: "Offer sessions (coach)" },
    ],
    query.get("role") === "coach" ? "coach" : "client",
  );
  const submit = h("button", { type: "submit", class: "primary" }, "Create account");
  const note = status();
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "register-title" },
    h("h1", { id: "register-title" }, "Create an account"),
    field("Your name", name),
    field("Email", email),
    field("Password", password, "At least 12 characters, hard to guess: a few unrelated words work well."),
    field("I want to", role),
    h("p", { class: "hint" }, `Times will be shown in your time zone, ${viewerZone()}.`),
    note,
    submit,
    h("p", {}, "Have an account? ", h("a", { href: "/login" }, "Log in")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    note.replaceChildren();
    void busy(submit, "Creating…", async () => {
      try {
        // Registering answers alike for a new and a taken address (202, no tokens): log in next.
        await post<{ email: string }>("/api/auth/register", {
          display_name: name.value,
          email: email.value,
          password: password.value,
          role: role.value,
          time_zone: viewerZone(),
        });
        const answer = await post<LoggedIn>("/api/auth/login", {
          email: email.value,
          password: password.value,
        });
        signIn(answer.user, answer.tokens);
        const next = afterLogin(query, answer.user);
        navigate(answer.two_factor_setup_required ? `/two-factor?next=${encodeURIComponent(next)}` : next);
      } catch (error) {
        note.replaceChildren(errorBox(explain(error)));
      }
    });
  });
  main.append(form);
  focusHeading(main);
}
