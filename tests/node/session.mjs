// The official socket.io client against /session: a refused token, two participants joining,
// a relayed signal and a refused one. Prints what it saw as one JSON object.
// node session.mjs <origin URL ending in /> <booking id> <coach token> <client token>
import { io } from "socket.io-client";

const [origin, bookingId, coachToken, memberToken] = process.argv.slice(2);
const WAIT = 10_000;

function within(promise, what) {
  const timer = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT),
  );
  return Promise.race([promise, timer]);
}

function connect(token) {
  return io(`${origin}session`, { auth: { token }, transports: ["websocket"], reconnection: false });
}

function next(socket, event) {
  return within(new Promise((resolve) => socket.once(event, resolve)), event);
}

const seen = {};
const stranger = connect("not-a-token");
seen.refused = await within(
  new Promise((resolve) => stranger.on("connect_error", (err) => resolve(err.data))),
  "connect_error",
);
stranger.close();

const coach = connect(coachToken);
const member = connect(memberToken);
seen.coach = await within(coach.emitWithAck("join", { booking_id: bookingId }), "coach join");
const joined = next(coach, "peer-joined");
seen.member = await within(member.emitWithAck("join", { booking_id: bookingId }), "client join");
seen.peer_joined = await joined;

const relayed = next(coach, "signal");
member.emit("signal", {
  to: seen.coach.peer_id,
  description: { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" },
});
seen.signal = await relayed;

const refused = next(member, "error");
member.emit("signal", { to: seen.coach.peer_id });
seen.error = await refused;

coach.close();
member.close();
console.log(JSON.stringify(seen));
process.exit(0);
