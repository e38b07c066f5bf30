// socket.io connections: `/availability` (slots:changed) and `/session` (the room).
//
// Reconnecting is ours, not socket.io's: while the browser is offline nothing is tried (each
// failed attempt would be a console error and wasted work); back online, the socket connects
// again at once, then with a growing delay. A refused connection (`connect_error` with a
// code) is retried only after refreshing an expired token.

import { io, type Socket } from "socket.io-client";
import { accessToken, fresh, refresh } from "./api";

export interface Live {
  socket: Socket;
  /** Disconnect for good. */
  close(): void;
}

export function connect(namespace: string, auth: boolean): Live {
  const socket = io(namespace, {
    transports: ["websocket"],
    reconnection: false,
    // Read at every (re)connect, so a refreshed token is used after a drop.
    auth: (give) => give(auth ? { token: accessToken() } : {}),
  });
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const again = () => {
    if (closed || socket.connected) return;
    if (!navigator.onLine) return; // the "online" listener below tries again
    clearTimeout(timer);
    const delay = attempt === 0 ? 0 : Math.min(5000, 500 * 2 ** attempt);
    attempt += 1;
    timer = setTimeout(() => {
      // An access token about to expire is refreshed first: the server checks it at connect.
      void fresh().then(() => {
        if (!closed && !socket.connected) socket.connect();
      });
    }, delay);
  };
  const online = () => {
    attempt = 0;
    again();
  };
  window.addEventListener("online", online);
  socket.on("connect", () => {
    attempt = 0;
  });

  socket.on("disconnect", (reason) => {
    // The server closing us (`taken_over`, `join_timeout`) or our own close: stay closed.
    if (reason !== "io server disconnect" && reason !== "io client disconnect") again();
  });
  socket.on("connect_error", (error: Error & { data?: { code?: string } }) => {
    const code = error.data?.code;
    if (code === "token_expired") void refresh().then((ok) => ok && again());
    else if (!code) again();
  });
  return {
    socket,
    close() {
      closed = true;
      clearTimeout(timer);
      window.removeEventListener("online", online);
      socket.disconnect();
    },
  };
}

export interface SlotsChanged {
  coach_id: string;
  start: string;
  end: string;
  reason: string;
}

/** Watch a coach's calendar; `changed` runs for each `slots:changed`. Returns a stop function. */
export function watchSlots(coachId: string, changed: (event: SlotsChanged) => void): () => void {
  const live = connect("/availability", false);
  live.socket.on("connect", () => {
    // A socket that reconnects must watch again (docs/protocol.md).
    void live.socket.emitWithAck("watch", { coach_id: coachId });
  });
  live.socket.on("slots:changed", (event: SlotsChanged) => {
    if (event.coach_id === coachId) changed(event);
  });
  return () => live.close();
}
