// A session's shared resources beside the call (and after it): the coach shares a link, a file
// (with a progress bar) or an item of their library; both download files through a URL made
// for them alone (GET /api/bookings/{id}/resources gives it, valid 5 minutes, sent with the
// bearer token). `resource:shared` on the room's socket brings a new one in at once.

import type { Socket } from "socket.io-client";
import { accessToken, explain, get, post } from "../api";
import { busy, errorBox, field, fill, h, select, status } from "../dom";
import { dateTime } from "../format";

export interface Resource {
  id: string;
  kind: "link" | "file";
  title: string;
  url: string | null;
  file_name: string | null;
  content_type: string | null;
  size: number | null;
  created_at: string;
  download_url: string | null;
}

export interface ResourcesPanel {
  element: HTMLElement;
  /** Listen for `resource:shared` on the room's socket. */
  attach(socket: Socket): void;
}

export function size(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The file, fetched with the bearer token and handed to the browser as a download. */
async function download(item: Resource): Promise<void> {
  // A fresh listing gives a fresh URL (they last 5 minutes).
  await saveDownload(item.download_url ?? "", item.file_name ?? "file");
}

/** Fetch `path` with the bearer token and save it as `fileName`. */
export async function saveDownload(path: string, fileName: string): Promise<void> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${accessToken() ?? ""}` } });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new Error(problem.detail ?? "The file could not be downloaded.");
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Upload with progress (fetch cannot report upload progress): multipart, `title` first. */
export function upload<T = Resource>(path: string, title: string, file: File, progress: HTMLProgressElement): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.setRequestHeader("Authorization", `Bearer ${accessToken() ?? ""}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) progress.value = event.loaded / event.total;
    };
    request.onload = () => {
      const body = JSON.parse(request.responseText || "{}") as T & { detail?: string };
      if (request.status === 201) resolve(body);
      else reject(new Error(body.detail ?? `Upload refused (${request.status}).`));
    };
    request.onerror = () => reject(new Error("The server could not be reached. Check your connection and try again."));
    const form = new FormData();
    form.append("title", title);
    form.append("file", file);
    request.send(form);
  });
}

export function resourcesPanel(bookingId: string, isCoach: boolean): ResourcesPanel {
  const list = h("ul", { class: "resources", "aria-label": "Shared resources" });
  const note = status();
  const element = h("section", { class: "card resources-panel", "aria-labelledby": "resources-title" }, h("h2", { id: "resources-title" }, "Resources"), list, note);

  async function load(): Promise<void> {
    try {
      const found = await get<{ items: Resource[] }>(`/api/bookings/${bookingId}/resources`);
      fill(list, found.items.length ? found.items.map(item) : h("li", { class: "hint" }, isCoach ? "Nothing shared yet." : "Your coach has not shared anything yet."));
    } catch (error) {
      fill(note, errorBox(explain(error)));
    }
  }

  function item(resource: Resource): HTMLElement {
    const meta = h("span", { class: "meta" }, ` · ${dateTime(resource.created_at)}`);
    if (resource.kind === "link") {
      return h("li", { "data-id": resource.id }, h("a", { href: resource.url ?? "#", target: "_blank", rel: "noopener noreferrer" }, resource.title), meta);
    }
    const button = h("button", { type: "button" }, `Download ${resource.file_name ?? ""}`.trim());
    button.addEventListener("click", () =>
      void busy(button, "Downloading…", async () => {
        try {
          const fresh = await get<{ items: Resource[] }>(`/api/bookings/${bookingId}/resources`);
          await download(fresh.items.find((r) => r.id === resource.id) ?? resource);
        } catch (error) {
          fill(note, errorBox(explain(error)));
        }
      }),
    );
    return h("li", { "data-id": resource.id }, h("strong", {}, resource.title), ` (${size(resource.size)}) `, button, meta);
  }

  if (isCoach) element.append(shareForms(bookingId, note, () => void load()));
  void load();
  return {
    element,
    attach(socket: Socket) {
      socket.on("resource:shared", () => void load());
    },
  };
}

function shareForms(bookingId: string, note: HTMLElement, shared: () => void): HTMLElement {
  const path = `/api/bookings/${bookingId}/resources`;
  // A link.
  const linkTitle = h("input", { name: "link_title", maxlength: 200, required: true });
  const linkUrl = h("input", { name: "url", type: "url", required: true, placeholder: "https://" });
  const addLink = h("button", { type: "submit" }, "Share link");
  const linkForm = h("form", { class: "share-link" }, field("Link title", linkTitle), field("Address", linkUrl), addLink);
  linkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(addLink, "Sharing…", async () => {
      try {
        await post(path, { title: linkTitle.value, url: linkUrl.value });
        linkForm.reset();
        fill(note, "Link shared.");
        shared();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  // A file, with progress.
  const fileTitle = h("input", { name: "file_title", maxlength: 200, required: true });
  const file = h("input", { name: "file", type: "file", required: true, accept: ".pdf,.png,.jpg,.jpeg,.gif,.webp,.mp3,.m4a,.wav,.ogg,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Upload progress", hidden: true });
  const addFile = h("button", { type: "submit" }, "Upload and share");
  const fileForm = h("form", { class: "share-file" }, field("File title", fileTitle), field("File (up to 20 MB)", file), progress, addFile);
  fileForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    void busy(addFile, "Uploading…", async () => {
      progress.hidden = false;
      progress.value = 0;
      try {
        await upload(path, fileTitle.value, chosen, progress);
        fileForm.reset();
        fill(note, "File shared.");
        shared();
      } catch (error) {
        fill(note, errorBox(error instanceof Error ? error.message : String(error)));
      } finally {
        progress.hidden = true;
      }
    });
  });
  // From the library.
  const pick = select({ name: "library_id" }, []);
  const fromLibrary = h("button", { type: "submit" }, "Share from library");
  const libraryForm = h("form", { class: "share-library" }, field("From your library", pick), fromLibrary);
  void get<{ items: { id: string; title: string }[] }>("/api/coaches/me/resources").then(
    (found) => {
      if (!found.items.length) libraryForm.hidden = true;
      fill(pick, ...found.items.map((r) => h("option", { value: r.id }, r.title)));
    },
    () => (libraryForm.hidden = true),
  );
  libraryForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(fromLibrary, "Sharing…", async () => {
      try {
        await post(path, { library_id: pick.value });
        fill(note, "Shared from your library.");
        shared();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  return h("details", { class: "share" }, h("summary", {}, "Share a resource"), linkForm, fileForm, libraryForm);
}
