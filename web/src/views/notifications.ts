// Notifications: session reminders (24 hours and 1 hour before), counted in the navigation,
// listed at /notifications and pushed live on the `/availability` socket while logged in.

import { explain, get, me, post } from "../api";
import { busy, errorBox, fill, h, spinner } from "../dom";
import { dateTime } from "../format";
import { connect, type Live } from "../live";
import { focusHeading } from "../router";
import type { AppNotification } from "../types";

interface InboxAnswer {
  items: AppNotification[];
  unread: number;
}

let live: Live | null = null;
let following: string | null = null;
let unread = 0;
const seen = new Set<string>();
const listeners = new Set<() => void>();

export function unreadCount(): number {
  return unread;
}

/** Called when the count changes (the navigation redraws its badge). */
export function onUnreadChange(listener: () => void): void {
  listeners.add(listener);
}

function setUnread(count: number): void {
  unread = count;
  for (const listener of listeners) listener();
}

function toast(text: string): void {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h("p", { class: "toast" }, text);
  region.append(item);
  setTimeout(() => item.remove(), 8000);
}

/** Follow the logged-in user's notifications (or stop, after a logout). */
export function followNotifications(): void {
  const user = me();
  // A token refresh signs the same user in again: the socket reads the new token itself.
  if (user && live && following === user.id) return;
  live?.close();
  live = null;
  seen.clear();
  following = user?.id ?? null;
  if (!user) {
    setUnread(0);
    return;
  }
  void get<InboxAnswer>("/api/me/notifications", { limit: 1 })
    .then((answer) => setUnread(answer.unread))
    .catch(() => undefined);
  live = connect("/availability", true);
  live.socket.on("notification", (pushed: AppNotification) => {
    if (seen.has(pushed.id)) return;
    seen.add(pushed.id);
    setUnread(unread + 1);
    toast(pushed.text);
  });
}

function item(n: AppNotification): HTMLElement {
  return h(
    "li",
    { class: `card notification${n.read_at ? "" : " unread"}`, "data-id": n.id },
    h("p", {}, n.text),
    h("p", { class: "meta" }, dateTime(n.created_at), n.booking_id ? " · " : "", n.booking_id ? h("a", { href: `/sessions/${n.booking_id}` }, "Open the session") : ""),
  );
}

export async function notifications(main: HTMLElement): Promise<void> {
  const list = h("ul", { class: "notifications" });
  const markAll = h("button", { type: "button" }, "Mark all as read");
  fill(main, h("h1", {}, "Notifications"), markAll, list);
  focusHeading(main);
  async function load(): Promise<void> {
    fill(list, spinner());
    try {
      const answer = await get<InboxAnswer>("/api/me/notifications", { limit: 50 });
      setUnread(answer.unread);
      markAll.hidden = answer.unread === 0;
      fill(list, answer.items.length ? answer.items.map(item) : h("li", {}, "Nothing yet. Reminders of your sessions appear here."));
    } catch (error) {
      fill(list, errorBox(explain(error)));
    }
  }
  markAll.addEventListener("click", () => {
    void busy(markAll, "Marking…", async () => {
      const answer = await post<{ unread: number }>("/api/me/notifications/read", {});
      setUnread(answer.unread);
      await load();
    });
  });
  await load();
}
