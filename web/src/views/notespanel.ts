// Session notes beside the call (GET/POST /api/bookings/{id}/notes). The coach writes a private
// note (only the coach reads it) and a note shared with the client; every save is a new version
// and the earlier ones are listed. The client reads the shared note and its versions.

import { explain, get, post } from "../api";
import type { Socket } from "socket.io-client";
import { busy, errorBox, field, fill, h, status } from "../dom";
import { dateTime } from "../format";

interface Version {
  version: number;
  text: string;
  author_id: string;
  created_at: string;
}
interface Note {
  latest: Version | null;
  history: Version[];
}
interface Notes {
  private: Note | null;
  shared: Note;
}
type Audience = "private" | "shared";

export const MAX_NOTE = 20_000;

function versions(note: Note | null): HTMLElement | null {
  if (!note || note.history.length === 0) return null;
  return h(
    "details",
    { class: "versions" },
    h("summary", {}, `Version history (${note.history.length})`),
    h(
      "ol",
      { reversed: true },
      note.history.map((v) =>
        h("li", { "data-version": v.version }, h("p", { class: "hint" }, `Version ${v.version} · ${dateTime(v.created_at)}`), h("p", { class: "note-text" }, v.text)),
      ),
    ),
  );
}

function saved(note: Note | null): string {
  const latest = note?.latest;
  return latest ? `Version ${latest.version}, saved ${dateTime(latest.created_at)}.` : "Not written yet.";
}

/** One note the coach edits: a textarea, Save, the version line and the history. After a save
 * the form stays (focus and the status line too); only the version line and history change. */
function editor(bookingId: string, audience: Audience, note: Note | null): HTMLElement {
  const label = audience === "private" ? "Private note (only you)" : "Shared with your client";
  const text = h("textarea", { name: `note-${audience}`, rows: 5, maxlength: MAX_NOTE });
  text.value = note?.latest?.text ?? "";
  const save = h("button", { type: "submit" }, audience === "private" ? "Save private note" : "Save shared note");
  const line = status(saved(note));
  let history = versions(note) ?? h("div", {});
  const form = h("form", { class: `note ${audience}`, "data-audience": audience }, field(label, text), h("div", { class: "actions" }, save), line, history);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      fill(line, errorBox("Write something before saving."));
      text.focus();
      return;
    }
    void busy(save, "Saving…", async () => {
      try {
        await post<Version>(`/api/bookings/${bookingId}/notes`, { audience, text: text.value });
        const notes = await get<Notes>(`/api/bookings/${bookingId}/notes`);
        const now = audience === "private" ? notes.private : notes.shared;
        fill(line, saved(now));
        const fresh = versions(now) ?? h("div", {});
        history.replaceWith(fresh);
        history = fresh;
      } catch (error) {
        fill(line, errorBox(explain(error)));
      }
    });
  });
  return form;
}

/** The client's view of the shared note. */
function reader(note: Note): HTMLElement {
  return h(
    "div",
    { class: "note shared", "data-audience": "shared" },
    note.latest ? h("p", { class: "note-text" }, note.latest.text) : h("p", { class: "hint" }, "Your coach has not shared notes for this session yet."),
    note.latest ? h("p", { class: "hint" }, `Updated ${dateTime(note.latest.created_at)}`) : null,
    versions(note),
  );
}

export interface NotesPanel {
  element: HTMLElement;
  /** Read the shared note again when the room hears it has a new version (`note:shared`). */
  attach(socket: Socket): void;
}

export function notesPanel(bookingId: string, coach: boolean): NotesPanel {
  const body = h("div", { class: "notes-body" }, h("p", { class: "loading", role: "status" }, "Loading notes…"));
  const refresh = h("button", { type: "button", class: "link" }, "Refresh");
  const panel = h(
    "section",
    { class: "card notes", "aria-labelledby": "notes-title" },
    h("div", { class: "chat-head" }, h("h2", { id: "notes-title" }, coach ? "Session notes" : "Notes from your coach"), coach ? null : refresh),
    body,
  );
  async function load(): Promise<void> {
    try {
      const notes = await get<Notes>(`/api/bookings/${bookingId}/notes`);
      if (coach) fill(body, editor(bookingId, "private", notes.private), editor(bookingId, "shared", notes.shared));
      else fill(body, reader(notes.shared));
    } catch (error) {
      fill(body, errorBox(explain(error)));
    }
  }
  refresh.addEventListener("click", () => void busy(refresh, "Refreshing…", load));
  void load();
  const told = status();
  panel.append(told);
  return {
    element: panel,
    attach(socket: Socket) {
      if (coach) return; // the coach wrote it
      socket.on("note:shared", () => {
        void load().then(() => (told.textContent = "Your coach updated the shared note."));
      });
    },
  };
}
