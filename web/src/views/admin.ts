// Admin: review coach applications (approve, or reject with a reason) and set a coach's
// commission tier.

import { explain, get, post, put } from "../api";
import { busy, errorBox, field, fill, h, select, spinner, status } from "../dom";
import { dateTime } from "../format";
import { focusHeading } from "../router";
import type { Application, CoachCard, Credential, CredentialDocument } from "../types";
import { saveDownload } from "./resourcespanel";

const TIERS = [
  { value: "2500", label: "Starter: 25%" },
  { value: "2000", label: "Standard: 20%" },
  { value: "1500", label: "Established: 15%" },
]; // the published range, 15-25% (booking/policy/commission.py refuses anything else)

/** A credential, with the public register to check it in, or a form to name that register
 * (for this licence type where it was issued: every later credential of the kind shows it). */
function credentialItem(c: Credential): HTMLElement {
  const where = c.issuing_region ? `${c.issuing_region}, ${c.issuing_country}` : c.issuing_country;
  const item = h("li", { class: "credential" }, `${c.license_type} no. ${c.license_number}, ${where}, valid until ${c.expires_on}`);
  const register = c.public_register;
  if (register) {
    item.append(" · ", h("a", { href: register.url, rel: "noopener noreferrer", target: "_blank", class: "register" }, `Check in ${register.name}`));
    return item;
  }
  const details = h("details", { class: "register-form" }, h("summary", {}, `No register known for ${c.license_type} in ${where}: add one`));
  const name = h("input", { name: "register_name", required: true, minlength: 2, maxlength: 200 });
  const url = h("input", { name: "register_url", type: "url", required: true, placeholder: "https://" });
  const save = h("button", { type: "button" }, "Save register");
  const note = status();
  details.append(field("Register's name", name), field("Its public search page (https)", url), save, note);
  save.addEventListener("click", () => {
    void busy(save, "Saving…", async () => {
      try {
        await put("/api/admin/registers", {
          issuing_country: c.issuing_country,
          issuing_region: c.issuing_region,
          license_type: c.license_type,
          name: name.value.trim(),
          url: url.value.trim(),
        });
        details.replaceWith(h("a", { href: url.value.trim(), rel: "noopener noreferrer", target: "_blank", class: "register" }, `Check in ${name.value.trim()}`));
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  item.append(details);
  return item;
}

function applicationCard(app: Application, decided: () => void): HTMLElement {
  const note = status();
  const approve = h("button", { type: "button", class: "primary" }, "Approve");
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 2000 });
  const reject = h("button", { type: "button", class: "danger" }, "Reject");
  const card = h(
    "li",
    { class: "card application", "data-application": app.id },
    h("h2", {}, app.coach_display_name ?? "Applicant"),
    h("p", { class: "meta" }, `${app.kind} application · submitted ${dateTime(app.submitted_at)} · ${app.status}`),
    app.decision_reason ? h("p", {}, `Reason: ${app.decision_reason}`) : null,
    app.proposed_display_name ? h("p", {}, `New name asked for: ${app.proposed_display_name}`) : null,
    app.proposed_photo_url
      ? h("p", {}, "New photo asked for: ", h("a", { href: app.proposed_photo_url, rel: "noopener noreferrer", target: "_blank" }, app.proposed_photo_url))
      : null,
    h("h3", {}, "Credentials"),
    h("ul", {}, app.credentials.map((c) => credentialItem(c))),
    h("h3", {}, "Documents"),
    documentsList(app.id),
    h("h3", {}, "References"),
    h("ul", {}, (app.references ?? []).map((r) => h("li", {}, `${r.name} (${r.relationship}), ${r.email}${r.phone ? `, ${r.phone}` : ""}`))),
    h("div", { class: "actions" }, approve),
    field("Reason for rejecting (sent to the applicant)", reason),
    h("div", { class: "actions" }, reject),
    note,
  );
  // Each decision takes a second, confirming click.
  let approving = false;
  approve.addEventListener("click", () => {
    if (!approving) {
      approving = true;
      approve.textContent = "Confirm approval";
      fill(note, `Approve ${app.coach_display_name ?? "this coach"}? Click again to confirm.`);
      return;
    }
    void busy(approve, "Approving…", async () => {
      try {
        await post(`/api/admin/applications/${app.id}/approve`, {});
        fill(
          note,
          app.kind === "profile_change"
            ? "Approved: the new name and photo are public."
            : `Approved: ${app.coach_display_name ?? "the coach"} is now verified and listed.`,
        );
        decided();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  let rejecting = false;
  reject.addEventListener("click", () => {
    if (!reason.value.trim()) {
      fill(note, errorBox("Give a reason: the applicant sees it."));
      reason.focus();
      return;
    }
    if (!rejecting) {
      rejecting = true;
      reject.textContent = "Confirm rejection";
      fill(note, "Reject with this reason? Click again to confirm.");
      return;
    }
    void busy(reject, "Rejecting…", async () => {
      try {
        await post(`/api/admin/applications/${app.id}/reject`, { reason: reason.value });
        fill(note, "Rejected.");
        decided();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return card;
}

/** The application's credential documents, each downloadable (admins only; audited). */
function documentsList(applicationId: string): HTMLElement {
  const list = h("ul", { class: "documents" }, h("li", {}, "Loading documents…"));
  void get<{ items: CredentialDocument[] }>(`/api/admin/applications/${applicationId}/documents`)
    .then((found) => {
      fill(
        list,
        found.items.length
          ? found.items.map((d) => {
              const open = h("button", { type: "button", class: "link" }, `Download ${d.file_name}`);
              const item = h("li", {}, `${d.title} (${d.content_type}, ${Math.max(1, Math.round(d.size / 1024))} KB) `, open);
              open.addEventListener("click", () => void saveDownload(`/api/admin/applications/${applicationId}/documents/${d.id}`, d.file_name).catch((e: unknown) => item.append(errorBox(explain(e)))));
              return item;
            })
          : h("li", {}, "No documents attached."),
      );
    })
    .catch((error: unknown) => fill(list, errorBox(explain(error))));
  return list;
}

async function commission(section: HTMLElement): Promise<void> {
  const coachSelect = select({ name: "coach" }, []);
  const tier = select({ name: "commission_bps" }, TIERS, "2000");
  const save = h("button", { type: "submit", class: "primary" }, "Set commission");
  const note = status();
  const form = h(
    "form",
    {},
    h("div", { class: "row" }, field("Coach", coachSelect), field("Commission tier", tier)),
    note,
    save,
  );
  fill(section, h("h2", { id: "commission-title" }, "Commission tiers"), form);
  try {
    const coaches: CoachCard[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: CoachCard[]; next_cursor: string | null } = await get("/api/coaches", { limit: 50, cursor });
      coaches.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && coaches.length < 500);
    coaches.sort((a, b) => a.display_name.localeCompare(b.display_name));
    fill(coachSelect, ...coaches.map((c) => h("option", { value: c.id }, c.display_name)));
  } catch (error) {
    fill(note, errorBox(explain(error)));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(save, "Saving…", async () => {
      try {
        await put(`/api/admin/coaches/${coachSelect.value}/commission`, { commission_bps: Number(tier.value) });
        const name = coachSelect.selectedOptions[0]?.textContent ?? "The coach";
        fill(note, `${name} now pays ${Number(tier.value) / 100}% commission.`);
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
}

export async function admin(main: HTMLElement, _: string[], query: URLSearchParams): Promise<void> {
  const state = (["pending", "approved", "rejected"] as const).find((s) => s === query.get("status")) ?? "pending";
  const list = h("ul", { class: "applications", "aria-label": "Applications" });
  const commissionSection = h("section", { class: "card", "aria-labelledby": "commission-title" });
  main.append(
    h("h1", {}, "Coach applications"),
    h(
      "nav",
      { class: "tabs", "aria-label": "Application status" },
      ["pending", "approved", "rejected"].map((s) => h("a", { href: `/admin?status=${s}`, "aria-current": s === state ? "page" : null }, s[0].toUpperCase() + s.slice(1))),
    ),
    list,
    commissionSection,
  );
  focusHeading(main);
  fill(list, spinner("Loading applications…"));
  try {
    const queue = await get<{ items: { id: string }[] }>("/api/admin/applications", { status: state, limit: 50 });
    const details = await Promise.all(queue.items.map((item) => get<Application>(`/api/admin/applications/${item.id}`)));
    fill(
      list,
      details.length
        ? details.map((app) => {
            const card = applicationCard(app, () => {
              for (const control of card.querySelectorAll<HTMLButtonElement | HTMLTextAreaElement>("button, textarea")) control.disabled = true;
              card.dataset.decided = "1";
              void commission(commissionSection); // an approved coach can now be given a tier
            });
            if (app.status !== "pending") for (const el of card.querySelectorAll(".actions, .field")) el.remove();
            return card;
          })
        : h("p", {}, `No ${state} applications.`),
    );
  } catch (error) {
    fill(list, errorBox(explain(error)));
  }
  void commission(commissionSection);
}
