// Load generator for bench/signalling.py: the official socket.io client, driven over stdin.
//
// One JSON command a line on stdin, one JSON answer a line on stdout (in order):
//   {"cmd": "connect", "rooms": [[peerA, peerB], ...], "parallel": 50}
//        peer = {"url": "http://127.0.0.1:P/session", "token": "..." | null, "booking_id": "..."}
//        -> {"joined": n, "errors": {"reason": count}}
//   {"cmd": "closed"}        every room ping-pongs: A signals B, B answers A, A signals again
//   {"cmd": "open", "rate"}  signals at `rate` per second, spread over every socket, no answers
//   {"cmd": "mark"}          -> {"t": ms, "received": n, "latencies_ms": [...since last mark]}
//   {"cmd": "stop"}          stop sending, wait for messages in flight -> {"in_flight": n}
//   {"cmd": "disconnect"}    close every socket -> {"closed": n}
//
// Both peers of a room live in this process, so the send time rides in the message (in the
// candidate's foundation, or the SDP's session version: fields any validator lets through)
// and the receiver reads it on the same clock. Latencies are one-way in "open" mode and round
// trips in "closed" mode. Every socket is its own engine.io connection (forceNew), over the
// WebSocket transport only.
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const DESCRIPTION_EVERY = 10; // one signal in ten is an SDP offer/answer, the rest candidates

// An SDP offer of the size a browser sends for audio + video + a data channel (about 3 KB).
function sdpText(stamp, type) {
  const lines = [
    "v=0",
    `o=- ${stamp} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 3b5c2f9e-8f4a-4b8e-9d1c-2f7a6e5b4c3d",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Xk3q",
    "a=ice-pwd:9Rj2kLmN8pQ4sT6vW1xY3zA5",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4A:1B:9C:2D:8E:3F:7A:6B:5C:4D:3E:2F:1A:0B:9C:8D:7E:6F:5A:4B:3C:2D:1E:0F:A9:B8:C7:D6:E5:F4:03:12",
    `a=setup:${type === "offer" ? "actpass" : "active"}`,
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:3b5c2f9e-8f4a-4b8e-9d1c-2f7a6e5b4c3d 7d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:1001594539 cname:q3Xo9pLkT2mNb7Vc",
    "a=ssrc:1001594539 msid:3b5c2f9e-8f4a-4b8e-9d1c-2f7a6e5b4c3d 7d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Xk3q",
    "a=ice-pwd:9Rj2kLmN8pQ4sT6vW1xY3zA5",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4A:1B:9C:2D:8E:3F:7A:6B:5C:4D:3E:2F:1A:0B:9C:8D:7E:6F:5A:4B:3C:2D:1E:0F:A9:B8:C7:D6:E5:F4:03:12",
    `a=setup:${type === "offer" ? "actpass" : "active"}`,
    "a=mid:1",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:13 urn:3gpp:video-orientation",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:3b5c2f9e-8f4a-4b8e-9d1c-2f7a6e5b4c3d 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 goog-remb",
    "a=rtcp-fb:102 transport-cc",
    "a=rtcp-fb:102 ccm fir",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:104 H264/90000",
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
    "a=rtpmap:105 rtx/90000",
    "a=fmtp:105 apt=104",
    "a=rtpmap:106 VP9/90000",
    "a=fmtp:106 profile-id=0",
    "a=rtpmap:107 rtx/90000",
    "a=fmtp:107 apt=106",
    "a=rtpmap:39 AV1/90000",
    "a=rtpmap:40 rtx/90000",
    "a=fmtp:40 apt=39",
    "a=ssrc-group:FID 2754863931 1402773853",
    "a=ssrc:2754863931 cname:q3Xo9pLkT2mNb7Vc",
    "a=ssrc:1402773853 cname:q3Xo9pLkT2mNb7Vc",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:Xk3q",
    "a=ice-pwd:9Rj2kLmN8pQ4sT6vW1xY3zA5",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4A:1B:9C:2D:8E:3F:7A:6B:5C:4D:3E:2F:1A:0B:9C:8D:7E:6F:5A:4B:3C:2D:1E:0F:A9:B8:C7:D6:E5:F4:03:12",
    `a=setup:${type === "offer" ? "actpass" : "active"}`,
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
  ];
  return lines.join("\r\n") + "\r\n";
}

// Built once per type around a marker, so a signal costs a string concatenation.
const SDP_PARTS = Object.fromEntries(
  ["offer", "answer"].map((type) => [type, sdpText("STAMP", type).split("STAMP")]),
);
const sdp = (stamp, type) => SDP_PARTS[type][0] + stamp + SDP_PARTS[type][1];

// A trickled host candidate as RTCIceCandidate.toJSON() gives it (about 200 bytes in JSON).
function candidate(stamp) {
  return {
    candidate: `candidate:${stamp} 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 ufrag Xk3q network-id 1 network-cost 10`,
    sdpMid: "0",
    sdpMLineIndex: 0,
    usernameFragment: "Xk3q",
  };
}

// The send time in microseconds on this process's clock, as digits (foundation, SDP version).
const stampNow = () => Math.round(performance.now() * 1000);

function stampOf(message) {
  if (message.candidate) {
    const text = message.candidate.candidate;
    return Number(text.slice(10, text.indexOf(" ", 10)));
  }
  const sdpText = message.description.sdp;
  const start = sdpText.indexOf("o=- ") + 4;
  return Number(sdpText.slice(start, sdpText.indexOf(" ", start)));
}

let counter = 0;
function signal(to, stamp) {
  counter += 1;
  if (counter % DESCRIPTION_EVERY === 0) {
    const type = counter % (2 * DESCRIPTION_EVERY) === 0 ? "answer" : "offer";
    return { to, description: { type, sdp: sdp(stamp, type) } };
  }
  return { to, candidate: candidate(stamp) };
}

const peers = []; // {socket, role: "a"|"b", other: peer, peerId}
let mode = "idle"; // "idle" | "closed" | "open" | "stopping"
let received = 0;
let inFlight = 0;
let latencies = [];
let errors = {};
let openTimer = null;

function count(reason) {
  errors[reason] = (errors[reason] || 0) + 1;
}

function onSignal(peer, message) {
  received += 1;
  const stamp = stampOf(message);
  if (mode === "open") {
    latencies.push((stampNow() - stamp) / 1000);
    return;
  }
  if (peer.role === "b") {
    // Closed loop: answer with the initiator's stamp, so it sees the round trip.
    if (mode === "closed" || mode === "stopping") peer.socket.emit("signal", signal(message.from, stamp));
    return;
  }
  latencies.push((stampNow() - stamp) / 1000);
  if (mode === "closed") {
    peer.socket.emit("signal", signal(peer.other.peerId, stampNow()));
  } else {
    inFlight -= 1;
  }
}

function connectPeer(spec) {
  return new Promise((resolve) => {
    const socket = io(spec.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: 20000,
      auth: spec.token ? { token: spec.token } : {},
    });
    const fail = (reason) => {
      count(reason);
      socket.close();
      resolve(null);
    };
    socket.once("connect_error", (err) =>
      fail(`connect_error: ${err.message}${err.data ? ` ${JSON.stringify(err.data)}` : ""}`),
    );
    socket.once("connect", async () => {
      try {
        const ack = await socket.timeout(20000).emitWithAck("join", { booking_id: spec.booking_id });
        if (!ack || !ack.ok) return fail(`join: ${ack && ack.error ? ack.error.code : "no ack"}`);
        resolve({ socket, peerId: ack.peer_id });
      } catch (err) {
        fail(`join: ${err.message}`);
      }
    });
  });
}

async function connectRoom([specA, specB]) {
  const a = await connectPeer(specA);
  const b = a && (await connectPeer(specB));
  if (!a || !b) {
    if (a) a.socket.close();
    return 0;
  }
  const peerA = { ...a, role: "a" };
  const peerB = { ...b, role: "b" };
  peerA.other = peerB;
  peerB.other = peerA;
  for (const peer of [peerA, peerB]) {
    peer.socket.on("signal", (message) => onSignal(peer, message));
    peer.socket.on("error", (body) => count(`error event: ${body && body.code}`));
    peer.socket.on("disconnect", (reason) => {
      if (mode !== "disconnecting") count(`disconnect: ${reason}`);
    });
    peers.push(peer);
  }
  return 2;
}

async function connect({ rooms, parallel }) {
  let joined = 0;
  let next = 0;
  const worker = async () => {
    while (next < rooms.length) {
      const added = await connectRoom(rooms[next++]);
      joined += added;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, rooms.length) }, worker));
  return { joined, errors: takeErrors() };
}

function takeErrors() {
  const taken = errors;
  errors = {};
  return taken;
}

function closedLoop() {
  mode = "closed";
  for (const peer of peers) {
    if (peer.role === "a") {
      inFlight += 1;
      peer.socket.emit("signal", signal(peer.other.peerId, stampNow()));
    }
  }
}

function openLoop(rate) {
  mode = "open";
  if (!peers.length) return;
  const started = performance.now();
  let sent = 0;
  let turn = 0;
  openTimer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * rate) / 1000) - sent;
    for (let i = 0; i < due; i += 1) {
      const peer = peers[turn % peers.length];
      turn += 1;
      peer.socket.emit("signal", signal(peer.other.peerId, stampNow()));
    }
    sent += Math.max(due, 0);
  }, 1);
}

async function stop() {
  if (openTimer) clearInterval(openTimer);
  openTimer = null;
  const wasClosed = mode === "closed";
  mode = "stopping";
  const deadline = performance.now() + 3000;
  if (wasClosed) {
    while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } else {
    await new Promise((r) => setTimeout(r, 200)); // the last open-loop signals land
  }
  const left = wasClosed ? inFlight : 0;
  inFlight = 0;
  mode = "idle";
  latencies = [];
  return { in_flight: left, errors: takeErrors() };
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
  mode = "disconnecting";
  for (const peer of peers) peer.socket.close();
  const closed = peers.length;
  peers.length = 0;
  mode = "idle";
  return { closed };
}

const commands = {
  connect,
  closed: () => (closedLoop(), {}),
  open: ({ rate }) => (openLoop(rate), {}),
  mark,
  stop,
  disconnect,
};

// Commands run one at a time, in order, so each answer line matches its command line.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
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
}).on("close", () => {
  queue.then(() => {
    for (const peer of peers) peer.socket.close();
    process.exit(0);
  });
});
