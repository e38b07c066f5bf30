// The room's chat on `/session` (docs/protocol.md, `chat:*`), without any DOM.
//
// Messages are kept by `seq` (the room's gapless number), so a message heard twice (live and in
// a history page, or acked and echoed) is kept once, and they are shown in `seq` order whatever
// order they arrived in. python-socketio has no connection-state recovery, so catching up is
// ours: after every `join` (first or after a reconnect) we ask `chat:history` after the last
// `seq` we hold without a gap, page by page, and whenever a `chat:message` arrives beyond it.
// Only then is the outbox sent again: messages whose `chat:send` was never acked keep their
// `client_msg_id`, so a message the server stored before the drop is answered with its first
// `seq` (or already came back in the history) and is never stored twice. The outbox is sent one
// message at a time, each after the previous one's ack: the server handles each event in a task
// of its own, so two sends in flight at once could be numbered in the other order. The outbox
// is also kept in the tab's sessionStorage (given a key), so a reload sends what was typed and
// never acked, with the same ids; a message leaves it once stored.

import type { Socket } from "socket.io-client";

export interface ChatMessage {
  seq: number;
  from: string;
  role: "coach" | "client";
  text: string;
  sent_at: string;
  client_msg_id: string;
}

export interface ChatJoin {
  last_seq: number;
  read_seq: number;
  /** The other participant's read mark: "Seen" holds across visits. */
  peer_read_seq?: number;
}

/** A message typed here and not acked yet (or refused: `error`). */
export interface Outgoing {
  client_msg_id: string;
  text: string;
  error: string | null;
}

export interface ChatEvents {
  /** Messages, the outbox or a read mark changed: draw again. */
  changed(): void;
  /** The other participant is typing (or stopped). */
  typing(on: boolean): void;
}

type Refusal = { ok: false; error: { code: string; message: string } };
type Answer<T> = ({ ok: true } & T) | Refusal;

export const MAX_MESSAGE = 4000;
const PAGE = 200;
const ACK_MS = 5000;
const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 3000;

export class ChatLog {
  private readonly messages = new Map<number, ChatMessage>();
  /** In the order they were typed. */
  readonly outbox = new Map<string, Outgoing>();
  private pumping = false;
  /** Every message up to this `seq` is held. */
  private upTo = 0;
  private socket: Socket | null = null;
  private ready = false;
  private role: "coach" | "client" = "client";
  private catchingUp: Promise<void> | null = null;
  /** Our read mark on the server, and the one being sent. */
  readSeq = 0;
  private readSending = 0;
  /** The other participant's read mark (heard in this visit). */
  peerReadSeq = 0;
  private typingSince = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly me: string,
    private readonly events: ChatEvents,
    /** Where the tab keeps the outbox across a reload (none: kept in memory only). */
    private readonly storeKey?: string,
  ) {
    for (const out of this.stored()) this.outbox.set(out.client_msg_id, out);
  }

  private stored(): Outgoing[] {
    try {
      const raw: unknown = this.storeKey ? JSON.parse(sessionStorage.getItem(this.storeKey) ?? "[]") : [];
      if (!Array.isArray(raw)) return [];
      return raw.filter(
        (o): o is Outgoing => typeof o === "object" && o !== null && typeof o.client_msg_id === "string" && typeof o.text === "string",
      ).map((o) => ({ client_msg_id: o.client_msg_id, text: o.text, error: null }));
    } catch {
      return [];
    }
  }

  private persist(): void {
    if (!this.storeKey) return;
    const waiting = [...this.outbox.values()].filter((out) => !out.error);
    if (waiting.length) sessionStorage.setItem(this.storeKey, JSON.stringify(waiting.map(({ client_msg_id, text }) => ({ client_msg_id, text }))));
    else sessionStorage.removeItem(this.storeKey);
  }

  /** Listen on the room's socket (the same socket across reconnects). */
  attach(socket: Socket): void {
    this.socket = socket;
    socket.on("chat:message", (message: ChatMessage) => this.receive(message));
    socket.on("chat:typing", ({ from, typing }: { from: string; typing: boolean }) => {
      if (from !== this.me) this.events.typing(typing);
    });
    socket.on("chat:read", ({ from, read_seq }: { from: string; read_seq: number }) => {
      if (from === this.me) {
        this.readSeq = Math.max(this.readSeq, read_seq); // read in another window of ours
      } else {
        this.peerReadSeq = Math.max(this.peerReadSeq, read_seq);
      }
      this.events.changed();
    });
    socket.on("disconnect", () => {
      this.ready = false;
      this.events.typing(false);
    });
  }

  /** After every `join` ack: fetch what we missed, then send what was never acked. */
  async joined(role: "coach" | "client", state: ChatJoin): Promise<void> {
    this.role = role;
    this.readSeq = Math.max(this.readSeq, state.read_seq);
    this.peerReadSeq = Math.max(this.peerReadSeq, state.peer_read_seq ?? 0);
    this.readSending = Math.max(this.readSending, this.readSeq);
    this.ready = true;
    // A catch-up begun on the socket before (socket.io rejects its ack at the drop) ends first.
    if (this.catchingUp) await this.catchingUp;
    await this.catchUp();
    await this.pump();
  }

  /** Messages held, by `seq`. */
  list(): ChatMessage[] {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Messages from the other participant after our read mark. */
  unread(): number {
    let count = 0;
    for (const message of this.messages.values()) if (message.seq > this.readSeq && message.from !== this.me) count += 1;
    return count;
  }

  mine(message: ChatMessage): boolean {
    return message.from === this.me;
  }

  send(text: string): void {
    const out: Outgoing = { client_msg_id: crypto.randomUUID(), text, error: null };
    this.outbox.set(out.client_msg_id, out);
    this.persist();
    this.stopTyping();
    this.events.changed();
    void this.pump();
  }

  /** Drop a refused message from the outbox. */
  discard(clientMsgId: string): void {
    this.outbox.delete(clientMsgId);
    this.persist();
    this.events.changed();
  }

  /** Everything shown is read (the panel is open and the page visible). */
  markRead(): void {
    const seq = this.upTo;
    const socket = this.socket;
    if (!this.ready || !socket || seq <= this.readSending) return;
    this.readSending = seq;
    void (async () => {
      try {
        const answer = (await socket.timeout(ACK_MS).emitWithAck("chat:read", { seq })) as Answer<{ read_seq: number }>;
        if (answer.ok) {
          this.readSeq = Math.max(this.readSeq, answer.read_seq);
          this.events.changed();
          return;
        }
      } catch {
        // No ack: marked again after the next join.
      }
      this.readSending = this.readSeq;
    })();
  }

  /** The user typed: tell the room at most every few seconds, and that they stopped. */
  typed(): void {
    const socket = this.socket;
    if (!this.ready || !socket) return;
    const now = Date.now();
    if (now - this.typingSince > TYPING_EVERY_MS) {
      this.typingSince = now;
      socket.emit("chat:typing", { typing: true });
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (!this.typingSince) return;
    this.typingSince = 0;
    if (this.ready) this.socket?.emit("chat:typing", { typing: false });
  }

  /** Keep a message once; true if it is new. */
  private add(message: ChatMessage): boolean {
    if (this.messages.has(message.seq)) return false;
    this.messages.set(message.seq, message);
    if (message.from === this.me && this.outbox.delete(message.client_msg_id)) this.persist();
    while (this.messages.has(this.upTo + 1)) this.upTo += 1;
    return true;
  }

  private receive(message: ChatMessage): void {
    if (message.from !== this.me) this.events.typing(false);
    if (this.add(message)) this.events.changed();
    if (message.seq > this.upTo) void this.catchUp(); // a gap before it
  }

  private catchUp(): Promise<void> {
    this.catchingUp ??= this.fetchMissing().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  private async fetchMissing(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    try {
      for (;;) {
        const after = this.upTo;
        const answer = (await socket
          .timeout(ACK_MS)
          .emitWithAck("chat:history", { after_seq: after, limit: PAGE })) as Answer<{ messages: ChatMessage[]; has_more: boolean }>;
        if (!answer.ok) return;
        for (const message of answer.messages) this.add(message);
        this.events.changed();
        if (!answer.has_more || this.upTo === after) return;
      }
    } catch {
      // The socket dropped: the next join catches up.
    }
  }

  /** Send the outbox in order, one message at a time, while joined. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = [...this.outbox.values()].find((out) => !out.error);
        if (!next || !this.ready) return;
        const outcome = await this.deliver(next);
        if (outcome === "lost" && !this.ready) return; // the next join sends it again
        if (outcome !== "sent") await new Promise((done) => setTimeout(done, 1000));
      }
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(out: Outgoing): Promise<"sent" | "refused" | "retry" | "lost"> {
    const socket = this.socket;
    if (!socket) return "lost";
    try {
      const answer = (await socket
        .timeout(ACK_MS)
        .emitWithAck("chat:send", { client_msg_id: out.client_msg_id, text: out.text })) as Answer<{ seq: number; sent_at: string }>;
      if (answer.ok) {
        this.add({ seq: answer.seq, from: this.me, role: this.role, text: out.text, sent_at: answer.sent_at, client_msg_id: out.client_msg_id });
        this.outbox.delete(out.client_msg_id);
        this.persist();
        this.events.changed();
        if (answer.seq > this.upTo) void this.catchUp();
        return "sent";
      }
      if (answer.error.code === "rate_limited") return "retry";
      if (answer.error.code === "not_joined") {
        this.ready = false; // the server lost our seat: sent again after the next join
        return "lost";
      }
      out.error = answer.error.message; // kept in the outbox, shown as not sent
      this.persist();
      this.events.changed();
      return "refused";
    } catch {
      // No ack (the socket dropped, or the server is slow): sent again with the same
      // client_msg_id, so it is stored once whatever happened to the first.
      return "lost";
    }
  }
}
