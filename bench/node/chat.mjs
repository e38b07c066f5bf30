// Load generator for bench/chat.py: the official socket.io client chatting in session rooms,
// driven over stdin like load.mjs (same "connect", "mark", "stop" and "disconnect" answers).
//
//   {"cmd": "connect", "rooms": [[coach, client], ...], "parallel": 25}
//        -> {"joined": n, "errors": {...}}      (both sockets of a room join its /session room)
//   {"cmd": "chat", "interval_ms": 10000}   every room sends a message every interval (its
//        two sides taking turns, each room at a random phase): `chat:send` with the send time
//        in the text; the other side's `chat:message` gives the send-to-receive latency
//   {"cmd": "mark"}   -> {"t", "received", "latencies_ms", "errors"}
//   {"cmd": "stop"}   stop sending, wait for messages in flight -> {"in_flight": n}
//   {"cmd": "check"}  -> {"rooms", "messages", "lost", "duplicated", "reordered", "gaps"}
//        every acked `seq` of a room, from both sides, must be the next numbers after the
//        room's `chat.last_seq` at join with none missing (gaps); each must reach the other
//        side (lost) once (duplicated), each side's in the order sent (reordered)
//   {"cmd": "disconnect"}
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const FILLER = " How did the breathing exercise go this week? Any change in how you slept?";
// Client message ids are the sender's own: unique across runs on the same bookings, or the
// server takes a message for a resend of the previous run's (and answers its first `seq`).
const RUN = `${process.pid}-${Date.now()}`;
const stampNow = () => Math.round(performance.now() * 1000); // µs on this process's clock

const rooms = []; // {sides: [coach, client], lastSeq, acked: [[], []], got: [[], []], turn}
let received = 0;
let inFlight = 0;
let latencies = [];
let errors = {};
let timers = [];
let sending = false;
let disconnecting = false;
let sentCount = 0;

function count(reason) {
  errors[reason] = (errors[reason] || 0) + 1;
}

function takeErrors() {
  const taken = errors;
  errors = {};
  return taken;
}

function joinSide(spec) {
  return new Promise((resolve) => {
    const socket = io(spec.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: 20000,
      auth: { token: spec.token },
    });
    const fail = (reason) => {
      count(reason);
      socket.close();
      resolve(null);
    };
    socket.once("connect_error", (err) => fail(`connect_error: ${err.message}`));
    socket.once("connect", async () => {
      try {
        const ack = await socket.timeout(20000).emitWithAck("join", { booking_id: spec.booking_id });
        if (!ack || !ack.ok) return fail(`join: ${ack && ack.error ? ack.error.code : "no ack"}`);
        resolve({ socket, lastSeq: ack.chat.last_seq });
      } catch (err) {
        fail(`join: ${err.message}`);
      }
    });
  });
}

async function connectRoom([coachSpec, clientSpec]) {
  const coach = await joinSide(coachSpec);
  const client = coach && (await joinSide(clientSpec));
  if (!coach || !client) {
    if (coach) coach.socket.close();
    return 0;
  }
  const room = {
    sides: [coach.socket, client.socket],
    lastSeq: Math.max(coach.lastSeq, client.lastSeq),
    acked: [[], []],
    got: [[], []],
    turn: 0,
  };
  room.sides.forEach((socket, side) => {
    socket.on("chat:message", (message) => {
      received += 1;
      inFlight -= 1;
      room.got[side].push(message.seq);
      latencies.push((stampNow() - Number(message.text.slice(0, message.text.indexOf(" ")))) / 1000);
    });
    socket.on("error", (body) => count(`error event: ${body && body.code}`));
    socket.on("disconnect", (reason) => {
      if (!disconnecting) count(`disconnect: ${reason}`);
    });
  });
  rooms.push(room);
  return 2;
}

async function connect({ rooms: specs, parallel }) {
  let joined = 0;
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const added = await connectRoom(specs[next++]);
      joined += added;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, specs.length) }, worker));
  return { joined, errors: takeErrors() };
}

async function send(room) {
  if (!sending) return;
  const side = room.turn % 2;
  room.turn += 1;
  sentCount += 1;
  inFlight += 1;
  const text = `${stampNow()}${FILLER}`;
  try {
    const ack = await room.sides[side]
      .timeout(10000)
      .emitWithAck("chat:send", { client_msg_id: `${RUN}-${sentCount}`, text });
    if (ack && ack.ok) room.acked[side].push(ack.seq);
    else {
      inFlight -= 1;
      count(`chat:send: ${ack && ack.error ? ack.error.code : "no ack"}`);
    }
  } catch (err) {
    count(`chat:send: ${err.message}`);
  }
}

function chat({ interval_ms: interval }) {
  sending = true;
  for (const room of rooms) {
    const phase = Math.random() * interval;
    timers.push(
      setTimeout(() => {
        send(room);
        timers.push(setInterval(() => send(room), interval));
      }, phase),
    );
  }
  return {};
}

async function stop() {
  sending = false;
  for (const timer of timers) clearTimeout(timer); // clears intervals too
  timers = [];
  const deadline = performance.now() + 5000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const left = inFlight;
  inFlight = 0;
  latencies = [];
  return { in_flight: left, errors: takeErrors() };
}

function check() {
  let messages = 0;
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  let gaps = 0;
  for (const room of rooms) {
    const all = [...room.acked[0], ...room.acked[1]].sort((x, y) => x - y);
    messages += all.length;
    all.forEach((seq, n) => {
      if (seq !== room.lastSeq + n + 1) gaps += 1;
    });
    for (const side of [0, 1]) {
      const got = room.got[1 - side];
      const sent = new Set(room.acked[side]);
      const seen = new Set();
      for (const seq of got) {
        if (seen.has(seq)) duplicated += 1;
        seen.add(seq);
      }
      for (const seq of sent) if (!seen.has(seq)) lost += 1;
      for (let n = 1; n < got.length; n += 1) if (got[n] < got[n - 1]) reordered += 1;
    }
  }
  return { rooms: rooms.length, messages, lost, duplicated, reordered, gaps };
}

function mark() {
  const taken = latencies;
  latencies = [];
  return {
    t: performance.now(),
    received,
    latencies_ms: taken.map((x) => Math.round(x * 1000) / 1000),
    errors: takeErrors(),
  };
}

async function disconnect() {
  disconnecting = true;
  for (const room of rooms) for (const socket of room.sides) socket.close();
  const closed = 2 * rooms.length;
  rooms.length = 0;
  disconnecting = false;
  return { closed };
}

const commands = { connect, chat, mark, stop, check, disconnect };

// Commands run one at a time, in order, so each answer line matches its command line.
let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on("line", (line) => {
    queue = queue.then(async () => {
      let answer;
      try {
        const command = JSON.parse(line);
        answer = await commands[command.cmd](command);
      } catch (err) {
        answer = { failed: String(err && err.stack ? err.stack : err) };
      }
      process.stdout.write(JSON.stringify(answer) + "\n");
    });
  })
  .on("close", () => {
    queue.then(() => {
      for (const room of rooms) for (const socket of room.sides) socket.close();
      process.exit(0);
    });
  });
