// The coach dashboard: apply with credentials; once a coach, verification status, profile and
// rates, availability and time off, upcoming sessions with client details, earnings.

import { ApiError, explain, get, has, me, patch, post } from "../api";
import { append, busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { longDate, money } from "../format";
import { focusHeading } from "../router";
import type { Booking, CoachSelf, CredentialDocument, Price, Review } from "../types";
import { profileForm } from "./profileform";
import { hoursEditor, scheduleSection } from "./schedule";
import { practiceSection } from "./dashboard";
import { librarySection } from "./library";
import { upload } from "./resourcespanel";
import { bookingItem } from "./sessions";

export async function coachHome(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Coach dashboard"), spinner("Loading your profile…"));
  focusHeading(main);
  let self: CoachSelf | null = null;
  try {
    self = await get<CoachSelf>("/api/coaches/me");
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "not_a_coach")) {
      main.querySelector(".loading")?.replaceWith(errorBox(explain(error)));
      return;
    }
  }
  main.querySelector(".loading")?.remove();
  if (!self) {
    await applyForm(main);
    return;
  }
  const v = self.verification;
  const latest = self.applications[0];
  const banner =
    v.status === "pending"
      ? "Your application is waiting for review. We check credentials and references within a few days."
      : v.status === "rejected"
        ? `Your application was not approved${latest?.decision_reason ? `: ${latest.decision_reason}` : "."}`
        : v.listed
          ? `You are verified and listed in the directory${v.reverify_by ? ` until ${longDate(v.reverify_by)}` : ""}.`
          : "You are verified but not listed (verification lapsed or no hours).";
  const practice = h("section", { class: "card", "aria-labelledby": "practice-title" });
  const evidence = h("section", { class: "card", "aria-labelledby": "documents-title" });
  const sessions = h("section", { class: "card", "aria-labelledby": "upcoming-title" });
  const earnings = h("section", { class: "card", "aria-labelledby": "earnings-title" });
  const schedule = h("section", { class: "card", "aria-labelledby": "schedule-title" });
  const profile = h("section", { class: "card", "aria-labelledby": "profile-title" });
  const reviews = h("section", { class: "card", "aria-labelledby": "reviews-title" });
  const library = h("section", { class: "card", "aria-labelledby": "library-title" });
  main.append(
    h("p", { class: `verification ${v.status}`, role: "status" }, banner, ` Commission: ${self.commission_bps / 100}%.`),
    ...(v.status === "pending" ? [evidence] : []),
    practice,
    sessions,
    earnings,
    reviews,
    library,
    schedule,
    profile,
  );
  if (v.status === "pending") await documentsSection(evidence);
  await Promise.all([
    practiceSection(practice),
    upcoming(sessions),
    earningsSection(earnings),
    reviewsSection(reviews, self.id),
    librarySection(library),
    scheduleSection(schedule),
    profileSection(profile, self),
  ]);
}

/** The credential documents of a pending application: listed, and more added (up to 6). */
async function documentsSection(section: HTMLElement): Promise<void> {
  const list = h("ul", { class: "documents" });
  const file = h("input", { type: "file", accept: ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" });
  const title = h("input", { maxlength: 200, placeholder: "Texas LPC licence" });
  const add = h("button", { type: "submit" }, "Add document");
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Uploading" });
  const note = status();
  const form = h("form", { class: "document-form" }, field("What it is", title), field("Document (PDF, PNG or JPEG)", file), add, progress, note);
  async function load(): Promise<void> {
    try {
      const found = await get<{ items: CredentialDocument[] }>("/api/coaches/me/application/documents");
      fill(list, found.items.length ? found.items.map((d) => h("li", {}, `${d.title} (${d.file_name}, ${Math.max(1, Math.round(d.size / 1024))} KB)`)) : h("li", {}, "No documents yet."));
    } catch (error) {
      fill(list, errorBox(explain(error)));
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      fill(note, "Choose a file first.");
      return;
    }
    void busy(add, "Uploading…", async () => {
      progress.hidden = false;
      try {
        await upload<CredentialDocument>("/api/coaches/me/application/documents", title.value.trim() || chosen.name, chosen, progress);
        fill(note, "Document added.");
        file.value = "";
        title.value = "";
        await load();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      } finally {
        progress.hidden = true;
      }
    });
  });
  fill(section, h("h2", { id: "documents-title" }, "Credential documents"), h("p", { class: "hint" }, "Encrypted, and seen only by the admins who check your application."), list, form);
  await load();
}

/** The coach's newest reviews, each answerable once, in public under the review. */
async function reviewsSection(section: HTMLElement, coachId: string): Promise<void> {
  fill(section, h("h2", { id: "reviews-title" }, "Reviews of you"), spinner("Loading reviews…"));
  try {
    const page = await get<{ items: Review[] }>(`/api/coaches/${coachId}/reviews`, { limit: 20 });
    const items = page.items.map((review) => {
      const li = h(
        "li",
        { class: "review", "data-id": review.id },
        h("p", { class: "stars", "aria-label": `${review.rating} out of 5 stars` }, "★".repeat(review.rating) + "☆".repeat(5 - review.rating)),
        review.text ? h("blockquote", {}, review.text) : null,
        h("p", { class: "meta" }, review.anonymous ? "Anonymous" : (review.client_name ?? "A client")),
      );
      if (review.coach_response) {
        li.append(h("p", { class: "response" }, h("strong", {}, "Your reply: "), review.coach_response));
        return li;
      }
      const text = h("textarea", { maxlength: 2000, rows: 2, required: true });
      const said = status();
      const send = h("button", { type: "submit" }, "Reply");
      const form = h("form", { class: "review-response" }, field("Your public reply (once)", text), send, said);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void busy(send, "Replying…", async () => {
          try {
            const answered = await post<Review>(`/api/reviews/${review.id}/response`, { text: text.value });
            form.replaceWith(h("p", { class: "response" }, h("strong", {}, "Your reply: "), answered.coach_response ?? ""));
          } catch (error) {
            said.textContent = explain(error);
          }
        });
      });
      li.append(form);
      return li;
    });
    fill(section, h("h2", { id: "reviews-title" }, "Reviews of you"), items.length ? h("ul", { class: "reviews" }, items) : h("p", {}, "No reviews yet."));
  } catch (error) {
    fill(section, h("h2", { id: "reviews-title" }, "Reviews of you"), errorBox(explain(error)));
  }
}

async function upcoming(section: HTMLElement): Promise<void> {
  fill(section, h("h2", { id: "upcoming-title" }, "Upcoming sessions"), spinner("Loading sessions…"));
  try {
    const answer = await get<{ items: Booking[] }>("/api/bookings", { role: "coach", when: "upcoming", limit: 20 });
    const items = answer.items.filter((b) => b.status !== "held" && b.status !== "expired");
    const list = h("ul", { class: "bookings" });
    for (const booking of items) {
      const item = bookingItem(booking, () => void upcoming(section));
      const details = h("details", { class: "client-details" }, h("summary", {}, "Client details"));
      details.addEventListener("toggle", () => {
        if (!details.open || details.dataset.loaded) return;
        details.dataset.loaded = "1";
        void (async () => {
          try {
            const d = await get<{ focus_area: string | null; notes_for_coach: string | null; preferred_name: string | null }>(`/api/bookings/${booking.id}/details`);
            details.append(
              h("dl", {},
                h("dt", {}, "Preferred name"), h("dd", {}, d.preferred_name ?? "—"),
                h("dt", {}, "Wants to work on"), h("dd", {}, d.focus_area ?? "—"),
                h("dt", {}, "Notes"), h("dd", {}, d.notes_for_coach ?? "—")),
            );
          } catch (error) {
            details.append(errorBox(explain(error)));
          }
        })();
      });
      item.append(details);
      list.append(item);
    }
    fill(section, h("h2", { id: "upcoming-title" }, "Upcoming sessions"), items.length ? list : h("p", {}, "No upcoming sessions."));
  } catch (error) {
    fill(section, h("h2", { id: "upcoming-title" }, "Upcoming sessions"), errorBox(explain(error)));
  }
}

interface Figures {
  gross: Price;
  commission: Price;
  refunds: Price;
  net: Price;
  paid_out: Price;
}

interface Earnings {
  balances: (Figures & { pending: Price; available: Price })[];
  periods: (Figures & { period: string })[];
  payouts: { id: string; amount: Price; status: string; created_at: string; paid_at: string | null }[];
}

/** "2026-11" as people write it ("November 2026"). */
function month(period: string): string {
  const [year, number] = period.split("-").map(Number);
  if (!year || !number) return period;
  return new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" }).format(Date.UTC(year, number - 1, 1));
}

/** Earnings by month, when the server has the route (it comes with payments). */
async function earningsSection(section: HTMLElement): Promise<void> {
  fill(section, h("h2", { id: "earnings-title" }, "Earnings"));
  if (!(await has("get", "/api/coaches/me/earnings"))) {
    section.append(h("p", { class: "hint" }, "Your earnings appear here once payouts are enabled."));
    return;
  }
  try {
    const found = await get<Earnings>("/api/coaches/me/earnings", { period: "month" });
    const columns = ["gross", "commission", "refunds", "net", "paid_out"] as const;
    const label = (column: string) => column.replace("_", " ");
    const head = (first: string, extra: string[] = []) =>
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, first), [...columns, ...extra].map((c) => h("th", { scope: "col" }, label(c)))));
    if (!found.balances.length) {
      section.append(h("p", {}, "No earnings yet: they appear after your first paid session."));
      return;
    }
    append(
      section,
      [h("div", { class: "table-wrap" }, h("table", { class: "earnings" },
        h("caption", {}, "All time"),
        head("Currency", ["pending", "available"]),
        h("tbody", {}, found.balances.map((b) => h("tr", {}, h("th", { scope: "row" }, b.gross.currency), columns.map((c) => h("td", { "data-label": label(c) }, money(b[c]))), h("td", { "data-label": "pending" }, money(b.pending)), h("td", { "data-label": "available" }, money(b.available))))),
      )),
      h("div", { class: "table-wrap" }, h("table", { class: "earnings" },
        h("caption", {}, "By month"),
        head("Month"),
        h("tbody", {}, [...found.periods].reverse().map((p) => h("tr", {}, h("th", { scope: "row" }, month(p.period)), columns.map((c) => h("td", { "data-label": label(c) }, money(p[c])))))),
      )),
      found.payouts.length
        ? h("p", { class: "hint" }, `Last payout: ${money(found.payouts[0].amount)}, ${found.payouts[0].status}${found.payouts[0].paid_at ? ` on ${longDate(found.payouts[0].paid_at)}` : ""}.`)
        : null],
    );
  } catch (error) {
    section.append(errorBox(explain(error)));
  }
}

async function profileSection(section: HTMLElement, self: CoachSelf): Promise<void> {
  const form = await profileForm(self);
  const save = h("button", { type: "submit", class: "primary" }, "Save profile");
  const note = status();
  const element = h("form", {}, h("h2", { id: "profile-title" }, "Profile and rates"), form.element, note, save);
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(save, "Saving…", async () => {
      try {
        await patch("/api/coaches/me", form.value());
        fill(note, "Profile saved.");
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  fill(section, element);
}

function credentialFields(n: number): { element: HTMLElement; value(): Record<string, unknown> } {
  const type = h("input", { name: `license_type-${n}`, required: n === 1, placeholder: "LMFT" });
  const number = h("input", { name: `license_number-${n}`, required: n === 1 });
  const country = h("input", { name: `issuing_country-${n}`, required: n === 1, pattern: "[A-Z]{2}", maxlength: 2, placeholder: "US" });
  const region = h("input", { name: `issuing_region-${n}`, pattern: "[A-Z]{2}-[A-Z0-9]{1,3}", placeholder: "US-CA" });
  const expires = h("input", { type: "date", name: `expires_on-${n}`, required: n === 1 });
  return {
    element: h("fieldset", { class: "credential" }, h("legend", {}, `Credential ${n}`), h("div", { class: "row" },
      field("Licence or certification", type), field("Number", number), field("Country (2 letters)", country), field("Region (optional)", region), field("Valid until", expires))),
    value: () => ({ license_type: type.value, license_number: number.value, issuing_country: country.value.toUpperCase(), issuing_region: region.value || null, expires_on: expires.value }),
  };
}

function referenceFields(n: number): { element: HTMLElement; value(): Record<string, unknown> } {
  const name = h("input", { name: `ref_name-${n}`, required: true });
  const email = h("input", { type: "email", name: `ref_email-${n}`, required: true });
  const relationship = h("input", { name: `ref_relationship-${n}`, required: true, placeholder: "Clinical supervisor" });
  return {
    element: h("fieldset", { class: "reference" }, h("legend", {}, `Reference ${n}`), h("div", { class: "row" }, field("Name", name), field("Email", email), field("How they know your work", relationship))),
    value: () => ({ name: name.value, email: email.value, relationship: relationship.value }),
  };
}

async function applyForm(main: HTMLElement): Promise<void> {
  const [form, agreement] = await Promise.all([
    profileForm(undefined, me()?.display_name),
    get<{ version: string; title: string; body: string }>("/api/agreements/current"),
  ]);
  const hours = hoursEditor([0, 1, 2, 3, 4].map((weekday) => ({ weekday, start: "09:00", end: "17:00" })));
  const credentials = [credentialFields(1), credentialFields(2)];
  const references = [referenceFields(1), referenceFields(2)];
  const documents = h("input", { type: "file", name: "documents", multiple: true, accept: ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" });
  const accept = h("input", { type: "checkbox", name: "agreement", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Submit application");
  const note = status();
  const element = h(
    "form",
    { class: "card apply" },
    h("h2", {}, "Apply to coach on Flourish"),
    h("p", {}, "Tell clients about yourself, and give us your credentials and two professional references. An admin reviews every application."),
    form.element,
    h("h3", {}, "Weekly hours"),
    hours.element,
    h("h3", {}, "Credentials"),
    credentials.map((c) => c.element),
    field("Licence or certificate documents", documents, "PDF, PNG or JPEG scans, up to 6. Encrypted, and seen only by the admins who check your application."),
    h("h3", {}, "References"),
    references.map((r) => r.element),
    h("h3", {}, agreement.title),
    h("div", { class: "agreement", tabindex: 0, role: "document", "aria-label": agreement.title }, agreement.body),
    h("label", { class: "check" }, accept, ` I accept the professional agreement (version ${agreement.version}).`),
    note,
    submit,
  );
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(submit, "Submitting…", async () => {
      try {
        await post("/api/coaches/me/application", {
          ...form.value(),
          weekly_hours: hours.value(),
          credentials: credentials.map((c) => c.value()).filter((c) => c.license_type),
          references: references.map((r) => r.value()),
          agreement_version: agreement.version,
        });
        const progress = h("progress", { max: 1, value: 0, "aria-label": "Uploading documents" });
        fill(note, progress);
        for (const file of documents.files ?? []) {
          progress.value = 0;
          await upload<CredentialDocument>("/api/coaches/me/application/documents", file.name, file, progress);
        }
        await coachHomeAgain(main);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  main.append(element);
}

async function coachHomeAgain(main: HTMLElement): Promise<void> {
  main.replaceChildren();
  await coachHome(main);
}
