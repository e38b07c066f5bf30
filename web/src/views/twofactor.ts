// Two-factor setup, which coaches and admins must finish before anything else in production
// (their login answers `two_factor_setup_required` with a token that opens only these routes).

import { explain, post, refresh } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { focusHeading, navigate } from "../router";

export async function twoFactorSetup(main: HTMLElement, _: string[], query: URLSearchParams): Promise<void> {
  main.append(h("h1", {}, "Turn on two-factor login"), spinner("Preparing your secret…"));
  focusHeading(main);
  let setup: { secret: string; otpauth_uri: string };
  try {
    setup = await post("/api/auth/2fa/setup", {});
  } catch (error) {
    main.querySelector(".loading")?.replaceWith(errorBox(explain(error)));
    return;
  }
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true, pattern: "[0-9]{6}" });
  const submit = h("button", { type: "submit", class: "primary" }, "Turn on");
  const note = status();
  const form = h(
    "form",
    { class: "card narrow" },
    h("p", {}, "Coaches and admins protect clients' data with a second factor. Add this secret to an authenticator app, then enter the 6-digit code it shows."),
    h("p", {}, "Secret: ", h("code", { class: "secret" }, setup.secret)),
    h("p", {}, h("a", { href: setup.otpauth_uri }, "Open in an authenticator app on this device")),
    field("Code from the app", code),
    note,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(submit, "Checking…", async () => {
      try {
        const answer = await post<{ recovery_codes: string[] }>("/api/auth/2fa/enable", { code: code.value });
        await refresh(); // a token of full scope now
        const asked = query.get("next") ?? "/";
        const next = asked.startsWith("/") && !asked.startsWith("//") ? asked : "/";
        fill(
          main,
          h("h1", { tabindex: -1 }, "Two-factor login is on"),
          h("section", { class: "card narrow" },
            h("p", {}, "Keep these recovery codes somewhere safe. Each works once instead of a code if you lose your phone. They are shown only now."),
            h("ul", { class: "recovery" }, answer.recovery_codes.map((c) => h("li", {}, h("code", {}, c)))),
            h("button", { type: "button", class: "primary", onclick: () => navigate(next) }, "I have saved them")),
        );
        focusHeading(main);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  main.querySelector(".loading")?.replaceWith(form);
}
