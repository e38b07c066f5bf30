// The room's chat panel: messages by `seq` in a `role="log"` (read out as they arrive), typing
// indicator, read receipts on one's own messages, unread count while the panel is hidden, and
// a composer that sends on Enter (Shift+Enter: new line). Message text only ever goes in as
// text (dom.ts), never as HTML.

import { explain, get, USER_STORE_PREFIX } from "../api";
import { errorBox, field, h } from "../dom";
import { clock, dateTime } from "../format";
import { type ChatMessage, ChatLog, MAX_MESSAGE, type Outgoing } from "../room/chat";

export interface ChatPanel {
  element: HTMLElement;
  log: ChatLog;
  /** Stop listening to the page (leaving the room). */
  close(): void;
}

const TYPING_SHOWN_MS = 6000;

/** "your client" opens a line as "Your client". */
const capital = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** One message: who, when (filled in once stored), the text (as text), a receipt slot. */
function bubble(who: string, text: string): HTMLLIElement {
  return h(
    "li",
    { class: who === "You" ? "msg mine" : "msg theirs" },
    h("p", { class: "who" }, who, h("time", {})),
    h("p", { class: "text" }, text),
    // Receipts change in place: not read out again and again (the log reads out additions).
    h("span", { class: "receipt-slot", "aria-live": "off" }),
  );
}

interface StoredMessage {
  seq: number;
  sender: string;
  text: string;
  sent_at: string;
}

/** After the session: its chat, read over HTTP (GET /api/bookings/{id}/messages), page by page. */
export function transcript(bookingId: string, me: string, otherName: string): HTMLElement {
  const list = h("ol", { class: "messages", tabindex: "0", "aria-label": `Chat with ${otherName}` });
  const section = h("section", { class: "card chat transcript", "aria-labelledby": "chat-title" }, h("h2", { id: "chat-title" }, "Chat"), list);
  void (async () => {
    try {
      for (let after = 0; ; ) {
        const page = await get<{ items: StoredMessage[]; has_more: boolean }>(`/api/bookings/${bookingId}/messages`, { after_seq: after, limit: 200 });
        for (const message of page.items) {
          const li = bubble(message.sender === me ? "You" : capital(otherName), message.text);
          li.dataset.seq = String(message.seq);
          const time = li.querySelector("time");
          if (time) {
            time.dateTime = message.sent_at;
            time.textContent = ` · ${dateTime(message.sent_at)}`;
          }
          list.append(li);
        }
        const last = page.items.at(-1);
        if (!page.has_more || !last) break;
        after = last.seq;
      }
      if (!list.children.length) list.replaceWith(h("p", { class: "hint" }, "No messages in this session."));
    } catch (error) {
      section.append(errorBox(explain(error)));
    }
  })();
  return section;
}

/** `collapsible`: beside a call, with a button that hides it and counts the unread. */
export function chatPanel(bookingId: string, me: string, otherName: string, collapsible: boolean): ChatPanel {
  // The log region wraps the list, so its items stay list items for assistive technology.
  const list = h("ol", { class: "messages", tabindex: "0", "aria-label": `Chat with ${otherName}` });
  const region = h("div", { role: "log", "aria-live": "polite", "aria-label": `Conversation with ${otherName}` }, list);
  const empty = h("p", { class: "hint empty" }, `No messages yet. Say hello to ${otherName}.`);
  const typing = h("p", { class: "typing", role: "status", "aria-live": "polite" });
  const input = h("textarea", { name: "message", rows: 2, maxlength: MAX_MESSAGE, enterkeyhint: "send", autocomplete: "off" });
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  const form = h("form", { class: "composer" }, field("Message", input, "Enter sends; Shift+Enter starts a new line."), sendButton);
  const unreadBadge = h("span", { class: "unread-count", "data-count": "0", hidden: true });
  const toggle = h("button", { type: "button", class: "chat-toggle", "aria-expanded": "true" }, "Hide chat", unreadBadge);
  const body = h("div", { class: "chat-body", id: `chat-body-${Math.random().toString(36).slice(2)}` }, empty, region, typing, form);
  toggle.setAttribute("aria-controls", body.id);
  const element = h(
    "section",
    { class: "card chat", "aria-labelledby": "chat-title" },
    h("div", { class: "chat-head" }, h("h2", { id: "chat-title" }, "Chat"), collapsible ? toggle : null),
    body,
  );
  const nodes = new Map<string, HTMLLIElement>();
  let typingTimer: ReturnType<typeof setTimeout> | undefined;

  const events = {
    changed: draw,
    typing(on: boolean) {
      clearTimeout(typingTimer);
      typing.textContent = on ? `${capital(otherName)} is typing…` : "";
      if (on) typingTimer = setTimeout(() => (typing.textContent = ""), TYPING_SHOWN_MS);
    },
  };
  // The outbox survives a reload of this tab (sessionStorage), until each message is stored;
  // it is this user's (signing out removes it).
  const log = new ChatLog(me, events, `${USER_STORE_PREFIX}${me}.chat-outbox.${bookingId}`);

  const shown = () => !body.hidden && document.visibilityState === "visible";

  function receipt(message: ChatMessage | null, out: Outgoing | null): HTMLElement | null {
    if (out?.error) {
      const discard = h("button", { type: "button", class: "link" }, "Discard");
      discard.addEventListener("click", () => log.discard(out.client_msg_id));
      return h("small", { class: "receipt failed", "data-receipt": "failed" }, `Not sent: ${out.error} `, discard);
    }
    if (!message) return h("small", { class: "receipt", "data-receipt": "sending" }, "Sending…");
    if (!log.mine(message)) return null;
    const seen = message.seq <= log.peerReadSeq;
    return h("small", { class: "receipt", "data-receipt": seen ? "seen" : "sent" }, seen ? `Seen by ${otherName}` : "Sent");
  }

  function node(key: string, message: ChatMessage | null, out: Outgoing | null): HTMLLIElement {
    let li = nodes.get(key);
    const mine = message ? log.mine(message) : true;
    if (!li) {
      li = bubble(mine ? "You" : capital(otherName), message?.text ?? out?.text ?? "");
      nodes.set(key, li);
    }
    if (message) {
      li.dataset.seq = String(message.seq);
      const time = li.querySelector("time");
      if (time && !time.dateTime) {
        time.dateTime = message.sent_at;
        time.textContent = ` · ${clock(message.sent_at)}`;
      }
    }
    const slot = li.querySelector(".receipt-slot");
    const state = receipt(message, out);
    if (slot && slot.firstElementChild?.getAttribute("data-receipt") !== state?.getAttribute("data-receipt")) slot.replaceChildren(...(state ? [state] : []));
    return li;
  }

  function draw(): void {
    const wanted: HTMLLIElement[] = [];
    for (const message of log.list()) wanted.push(node(`${message.from}:${message.client_msg_id}`, message, null));
    for (const out of log.outbox.values()) wanted.push(node(`${me}:${out.client_msg_id}`, null, out));
    const lastBefore = list.lastElementChild;
    // Move only what is out of place, so the log reads out new messages and nothing else.
    wanted.forEach((li, i) => {
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
    });
    while (list.children.length > wanted.length) list.lastElementChild?.remove();
    empty.hidden = wanted.length > 0;
    if (shown()) log.markRead();
    const unread = log.unread();
    unreadBadge.hidden = unread === 0 || !body.hidden;
    unreadBadge.dataset.count = String(unread);
    unreadBadge.textContent = ` (${unread} unread)`;
    // A tab in the background says it too: "(2) Flourish".
    const title = document.title.replace(/^\(\d+\) /, "");
    document.title = unread && document.visibilityState !== "visible" ? `(${unread}) ${title}` : title;
    // Scrolled to a new last message only (a receipt changing leaves the reader where they are).
    const last = list.lastElementChild;
    if (last && last !== lastBefore && shown()) list.scrollTop = list.scrollHeight;
  }

  function submit(): void {
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    log.send(text);
    input.focus();
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    if (input.value) log.typed();
  });
  toggle.addEventListener("click", () => {
    body.hidden = !body.hidden;
    toggle.setAttribute("aria-expanded", String(!body.hidden));
    toggle.firstChild?.replaceWith(body.hidden ? "Show chat" : "Hide chat");
    draw();
    if (!body.hidden) input.focus();
  });
  draw(); // what the outbox kept from before a reload shows at once, as sending
  const visible = () => {
    if (shown()) draw();
  };
  document.addEventListener("visibilitychange", visible);
  return {
    element,
    log,
    close() {
      document.removeEventListener("visibilitychange", visible);
      document.title = document.title.replace(/^\(\d+\) /, "");
    },
  };
}
