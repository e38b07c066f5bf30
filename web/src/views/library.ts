// The coach's resource library on the coach home: what they keep to share into sessions
// (links and files), each file downloadable by them, removable, and new ones added.

import { del, explain, get, post } from "../api";
import { busy, errorBox, field, fill, h, spinner, status } from "../dom";
import { type Resource, saveDownload, size, upload } from "./resourcespanel";

const ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.mp3,.m4a,.wav,.ogg,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp";

export async function librarySection(section: HTMLElement): Promise<void> {
  const list = h("ul", { class: "resources library", "aria-label": "Your library" });
  const note = status();

  function item(resource: Resource): HTMLElement {
    const remove = h("button", { type: "button", class: "link danger" }, `Remove ${resource.title}`);
    remove.addEventListener("click", () => {
      void busy(remove, "Removing…", async () => {
        try {
          await del(`/api/coaches/me/resources/${resource.id}`);
          fill(note, `${resource.title} removed (copies shared into sessions stay there).`);
          await load();
        } catch (error) {
          fill(note, errorBox(explain(error)));
        }
      });
    });
    if (resource.kind === "link") {
      return h("li", { "data-id": resource.id }, h("a", { href: resource.url ?? "#", rel: "noopener noreferrer", target: "_blank" }, resource.title), " ", remove);
    }
    const open = h("button", { type: "button", class: "link" }, `Download ${resource.title}`);
    open.addEventListener("click", () => {
      void saveDownload(`/api/coaches/me/resources/${resource.id}/download`, resource.file_name ?? "file").catch((e: unknown) =>
        fill(note, errorBox(e instanceof Error ? e.message : String(e))),
      );
    });
    return h("li", { "data-id": resource.id }, `${resource.title} (${resource.file_name ?? "file"}, ${size(resource.size)}) `, open, " ", remove);
  }

  async function load(): Promise<void> {
    try {
      const found = await get<{ items: Resource[] }>("/api/coaches/me/resources");
      fill(list, found.items.length ? found.items.map(item) : h("li", {}, "Nothing yet: add worksheets and links to share them into sessions in one step."));
    } catch (error) {
      fill(list, errorBox(explain(error)));
    }
  }

  const linkTitle = h("input", { maxlength: 200, required: true });
  const linkUrl = h("input", { type: "url", required: true, placeholder: "https://" });
  const addLink = h("button", { type: "submit" }, "Add link");
  const linkForm = h("form", { class: "library-link" }, field("Link title", linkTitle), field("Address", linkUrl), addLink);
  linkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(addLink, "Adding…", async () => {
      try {
        await post("/api/coaches/me/resources", { title: linkTitle.value, url: linkUrl.value });
        linkForm.reset();
        fill(note, "Link added.");
        await load();
      } catch (error) {
        fill(note, errorBox(explain(error)));
      }
    });
  });
  const fileTitle = h("input", { maxlength: 200, required: true });
  const file = h("input", { type: "file", required: true, accept: ACCEPT });
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
  const addFile = h("button", { type: "submit" }, "Add file");
  const fileForm = h("form", { class: "library-file" }, field("File title", fileTitle), field("File (up to 20 MB)", file), progress, addFile);
  fileForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    void busy(addFile, "Uploading…", async () => {
      progress.hidden = false;
      try {
        await upload("/api/coaches/me/resources", fileTitle.value, chosen, progress);
        fileForm.reset();
        fill(note, "File added.");
        await load();
      } catch (error) {
        fill(note, errorBox(error instanceof Error ? error.message : String(error)));
      } finally {
        progress.hidden = true;
      }
    });
  });
  fill(
    section,
    h("h2", { id: "library-title" }, "Your library"),
    list,
    h("details", {}, h("summary", {}, "Add to your library"), linkForm, fileForm),
    note,
  );
  list.append(spinner());
  await load();
}
