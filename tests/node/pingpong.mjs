// A quick closed-loop check of the /session relay path (not the benchmark: bench/signalling.py
// is): two participants of one session bounce a candidate N times; prints relayed messages/s.
// node pingpong.mjs <origin without trailing /> <booking id> <token A> <token B> <N>
import { io } from "socket.io-client";
const [url, booking, ta, tb, n] = process.argv.slice(2);
const open = (token) => io(`${url}/session`, { auth: { token }, transports: ["websocket"] });
const a = open(ta), b = open(tb);
const ja = await a.emitWithAck("join", { booking_id: booking });
const jb = await b.emitWithAck("join", { booking_id: booking });
const cand = { candidate: "candidate:1 1 UDP 2122252543 192.0.2.7 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
let left = Number(n);
const t0 = process.hrtime.bigint();
await new Promise((resolve) => {
  b.on("signal", () => b.emit("signal", { to: ja.peer_id, candidate: cand }));
  a.on("signal", () => { if (--left <= 0) resolve(); else a.emit("signal", { to: jb.peer_id, candidate: cand }); });
  a.emit("signal", { to: jb.peer_id, candidate: cand });
});
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ round_trips: Number(n), seconds: secs, relayed_per_s: (2 * Number(n)) / secs }));
process.exit(0);
