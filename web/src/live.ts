// socket.io connections: `/availability` (slots:changed) and `/session` (the room).

import { io, type Socket } from "socket.io-client";
import { accessToken } from "./api";

export function connect(namespace: string, auth: boolean): Socket {
  return io(namespace, {
    transports: ["websocket"],
    // Read at every (re)connect, so a refreshed token is used after a drop.
    auth: (give) => give(auth ? { token: accessToken() } : {}),
  });
}

export interface SlotsChanged {
  coach_id: string;
  start: string;
  end: string;
  reason: string;
}

/** Watch a coach's calendar; `changed` runs for each `slots:changed`. Returns a stop function. */
export function watchSlots(coachId: string, changed: (event: SlotsChanged) => void): () => void {
  const socket = connect("/availability", false);
  socket.on("connect", () => {
    // A socket that reconnects must watch again (docs/protocol.md).
    void socket.emitWithAck("watch", { coach_id: coachId });
  });
  socket.on("slots:changed", (event: SlotsChanged) => {
    if (event.coach_id === coachId) changed(event);
  });
  return () => {
    socket.disconnect();
  };
}
