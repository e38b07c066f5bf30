// One side of a session: the `/session` socket (docs/protocol.md) and the RTCPeerConnection.
//
// Negotiation is "perfect negotiation" (W3C WebRTC, §10.7): either side may offer at any time
// (first connection, screen share, ICE restart); on a collision the client (polite) yields and
// the coach (impolite) ignores the other offer. After a drop:
// - our socket comes back: `join` again gives us our place; the other side hears
//   `peer-reconnected` and restarts ICE;
// - the other side comes back: we restart ICE (`pc.restartIce()`);
// - the other side reloaded (a new RTCPeerConnection there): its description does not fit our
//   connection, so we start a new one and negotiate afresh.

import type { Socket } from "socket.io-client";
import { refresh } from "../api";
import { connect, type Live } from "../live";
import type { ChatJoin } from "./chat";

export interface PeerInfo {
  peer_id: string;
  role: "coach" | "client";
  display_name: string;
  /** `phone`: a caller on a telephone, bridged by the server (audio only, no chat). */
  via: "web" | "phone";
}

/** The server's clock and the session's end (`timer:sync`, and `timer` in the join ack). */
export interface TimerSync {
  server_time: string;
  ends_at: string;
  closes_at: string;
  warnings: number[];
  ice_expires_at: string | null;
}

export interface Joined {
  ok: true;
  peer_id: string;
  role: "coach" | "client";
  session_type: "video" | "phone" | "chat";
  peers: PeerInfo[];
  ice_servers: RTCIceServer[];
  starts_at: string;
  ends_at: string;
  chat: ChatJoin;
  timer: TimerSync;
}

interface Refused {
  ok: false;
  error: { code: string; message: string };
}

interface Signal {
  from: string;
  description?: RTCSessionDescriptionInit | null;
  candidate?: RTCIceCandidateInit | null;
}

export type CallState = "joining" | "waiting" | "connecting" | "connected" | "reconnecting" | "ended" | "refused";

export interface Quality {
  level: "good" | "fair" | "poor" | "unknown";
  rttMs: number | null;
  lossPercent: number | null;
  inboundAudioBytes: number;
  inboundVideoBytes: number;
  /** The local end of the connection in use: `host`, `srflx` or `relay` (through TURN). */
  route: string | null;
}

export interface CallEvents {
  state(state: CallState, detail: string): void;
  joined(joined: Joined): void;
  peer(peer: PeerInfo | null, why?: string): void;
  remoteStream(stream: MediaStream): void;
  quality(quality: Quality): void;
  /** The server's time: count down on it, not on this device's clock. */
  timer(sync: TimerSync): void;
  /** The server warns: the session ends in `remainingS` seconds. */
  warning(remainingS: number): void;
  /** The other side's microphone and camera (`peer-media`). */
  peerMedia?(state: { audio: boolean; video: boolean }): void;
}

export class Call {
  private live: Live | null = null;
  private pc: RTCPeerConnection | null = null;
  private remote: PeerInfo | null = null;
  private joined: Joined | null = null;
  private makingOffer = false;
  /** Set on the side that was there first: it answers the newcomer's offer instead of offering
   * too, so the first negotiation never collides (a collision once left the polite side with
   * no local candidates); the watchdog below lifts it if no offer comes. */
  private awaitingOffer = false;
  private lastDescriptionAt = 0;
  private ignoreOffer = false;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private ended = false;
  private state: CallState = "joining";
  private outgoingVideo: MediaStreamTrack | null = null;
  private iceRefresh: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly bookingId: string,
    /** null for a chat session: the room without any media. */
    private readonly local: MediaStream | null,
    private readonly events: CallEvents,
    private readonly relayOnly = false,
  ) {
    this.outgoingVideo = local?.getVideoTracks()[0] ?? null;
  }

  /** The room's socket (the same one across reconnects), for the chat; null before start(). */
  get socket(): Socket | null {
    return this.live?.socket ?? null;
  }

  start(): void {
    const live = connect("/session", true);
    this.live = live;
    const socket = live.socket;
    socket.on("connect", () => void this.join());
    socket.on("disconnect", (reason) => {
      if (this.ended) return;
      if (reason === "io server disconnect") this.setState("ended", "The server closed this connection.");
      else this.setState("reconnecting", "Your connection dropped. Reconnecting…");
    });
    socket.on("connect_error", (error: Error & { data?: { code?: string; message?: string } }) => {
      const code = error.data?.code;
      if (code && code !== "token_expired") this.setState("refused", error.data?.message ?? error.message);
      else if (this.state !== "joining") this.setState("reconnecting", "Reconnecting…");
    });
    socket.on("peer-media", (state: { audio: boolean; video: boolean }) => this.events.peerMedia?.(state));
    socket.on("peer-joined", (peer: PeerInfo) => {
      this.trace(`peer-joined ${peer.peer_id}`);
      this.remote = peer;
      this.events.peer(peer);
      this.tellMedia();
      this.newConnection(true);
    });
    socket.on("peer-reconnected", (peer: PeerInfo) => {
      this.remote = peer;
      this.events.peer(peer);
      this.tellMedia();
      if (this.pc) {
        this.setState("connecting", `${peer.display_name} is back. Reconnecting the call…`);
        // If they reloaded, their new connection offers first; else we restart ICE.
        const pc = this.pc;
        const since = Date.now();
        setTimeout(() => {
          if (pc === this.pc && this.lastDescriptionAt < since) {
            this.trace("restarting ICE for the reconnected peer");
            pc.restartIce();
          }
        }, 1500);
      } else {
        this.newConnection(true);
      }
    });
    socket.on("peer-left", ({ peer_id, reason }: { peer_id: string; reason: string }) => {
      if (this.remote?.peer_id !== peer_id) return;
      const name = this.remote.display_name;
      this.closeConnection();
      this.remote = null;
      this.events.peer(null, reason === "timeout" ? `${name} lost their connection.` : `${name} left the session.`);
      this.setState("waiting", reason === "timeout" ? `${name} lost their connection.` : `${name} left.`);
    });
    socket.on("signal", (signal: Signal) => void this.onSignal(signal));
    socket.on("error", (error: { code: string; message: string }) => {
      this.trace(`server error ${error.code}: ${error.message}`);
      if (error.code === "taken_over") {
        this.ended = true;
        this.setState("ended", "You joined this session from another window.");
      } else if (error.code === "token_invalid" || error.code === "account_disabled") {
        // A logout (here or everywhere) or a disabled account: the server closes the socket.
        this.ended = true;
        this.setState("refused", error.code === "account_disabled" ? error.message : "You were logged out. Log in again to join.");
      }
    });
    socket.on("timer:sync", (sync: TimerSync) => {
      this.events.timer(sync);
      this.planIceRefresh(sync);
    });
    socket.on("timer:warning", ({ remaining_s }: { remaining_s: number }) => this.events.warning(remaining_s));
    // The hard stop, on the server's clock: both of us are out of the room.
    socket.on("session:ended", () => {
      this.ended = true;
      this.closeConnection();
      this.remote = null;
      this.events.peer(null);
      this.setState("ended", "The session time is over.");
    });
        // The booking was canceled or moved: the server took both of us out of the room.
    socket.on("session:closed", ({ reason }: { booking_id: string; reason: string }) => {
      this.ended = true;
      this.closeConnection();
      this.remote = null;
      this.events.peer(null);
      this.setState(
        "refused",
        reason === "canceled" ? "This session was canceled." : "This session was moved to another time. Join again when the new time comes.",
      );
    });
    window.addEventListener("offline", this.onOffline);
    this.statsTimer = setInterval(() => void this.measure(), 1000);
  }

  private onOffline = (): void => {
    if (!this.ended) this.setState("reconnecting", "You are offline. We will reconnect when your network is back.");
  };

  private trace(what: string): void {
    console.debug(`call: ${what} (signaling ${this.pc?.signalingState ?? "-"}, connection ${this.pc?.connectionState ?? "-"})`);
  }

  private setState(state: CallState, detail = ""): void {
    this.trace(`state ${state}`);
    this.state = state;
    this.events.state(state, detail);
  }

  private async join(): Promise<void> {
    const socket = this.live?.socket;
    if (!socket) return;
    let answer: Joined | Refused;
    try {
      answer = (await socket.timeout(10_000).emitWithAck("join", { booking_id: this.bookingId })) as Joined | Refused;
    } catch {
      this.setState("reconnecting", "The server did not answer. Trying again…");
      socket.disconnect();
      socket.connect();
      return;
    }
    if (!answer.ok && answer.error.code === "token_expired") {
      // The token this socket connected with expired meanwhile: connect again with a fresh one.
      if (await refresh()) {
        socket.disconnect();
        socket.connect();
        return;
      }
    }
    if (!answer.ok) {
      this.ended = answer.error.code !== "session_not_open";
      this.setState("refused", answer.error.message);
      return;
    }
    const rejoined = this.joined !== null;
    this.joined = answer;
    this.events.joined(answer);
    this.tellMedia();
    this.events.timer(answer.timer);
    this.planIceRefresh(answer.timer);
    const peer = answer.peers[0] ?? null;
    if (!peer) {
      this.closeConnection();
      this.remote = null;
      this.events.peer(null);
      this.setState("waiting", "");
      return;
    }
    const samePeer = this.remote?.peer_id === peer.peer_id;
    this.remote = peer;
    this.events.peer(peer);
    if (rejoined && samePeer && this.pc) {
      // Our socket came back; the other side restarts ICE when it hears peer-reconnected.
      this.setState(this.pc.connectionState === "connected" ? "connected" : "connecting", "");
    } else {
      this.newConnection();
    }
  }

  private newConnection(awaitOffer = false): void {
    this.closeConnection();
    if (!this.joined) return;
    if (!this.local) {
      // A chat session: both are in the room, nothing to negotiate.
      this.setState("connected", "");
      return;
    }
    this.awaitingOffer = awaitOffer;
    this.setState("connecting", "Connecting…");
    const pc = new RTCPeerConnection({
      iceServers: this.joined.ice_servers,
      // Relay only if the server gave a TURN server to relay through.
      iceTransportPolicy: this.relayOnly && this.hasTurn() ? "relay" : "all",
    });
    this.pc = pc;
    const remoteStream = new MediaStream();
    this.events.remoteStream(remoteStream);
    for (const track of this.local.getTracks()) {
      pc.addTrack(track.kind === "video" && this.outgoingVideo ? this.outgoingVideo : track, this.local);
    }
    pc.ontrack = ({ track }) => {
      remoteStream.addTrack(track);
      this.events.remoteStream(remoteStream);
    };
    pc.onicecandidate = ({ candidate }) => {
      this.trace(`local candidate ${candidate ? "" : "(end)"} to ${this.remote?.peer_id ?? "nobody"}`);
      if (candidate && this.remote) this.send({ candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = async () => {
      if (pc !== this.pc) return;
      if (this.awaitingOffer) {
        this.trace("negotiation needed: waiting for the newcomer's offer");
        return;
      }
      try {
        this.makingOffer = true;
        this.trace("negotiation needed: offering");
        await pc.setLocalDescription();
        if (pc.localDescription) this.send({ description: pc.localDescription.toJSON() as RTCSessionDescriptionInit });
      } catch {
        // A collision resolved by the other side's offer; nothing to do here.
      } finally {
        this.makingOffer = false;
      }
    };
    // After an ICE restart the connection may never leave "connected": settle on a stable one.
    pc.onsignalingstatechange = () => {
      if (pc === this.pc && pc.signalingState === "stable" && pc.connectionState === "connected" && navigator.onLine && this.live?.socket.connected) {
        this.setState("connected", "");
      }
    };
    // A connection that does not come up within a few seconds (candidates lost in a collision,
    // a network change mid-negotiation) gets an ICE restart, from the coach's side only so that
    // both do not restart at once.
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      if (pc !== this.pc || pc.connectionState === "connected" || this.joined?.role !== "coach") return;
      if (pc.signalingState !== "stable" || !this.live?.socket.connected) return;
      this.trace("not connected after 6 s: restarting ICE");
      this.awaitingOffer = false;
      pc.restartIce();
    }, 6000);
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      clearTimeout(this.disconnectedTimer);
      if (pc.connectionState === "connected") this.setState("connected", "");
      else if (pc.connectionState === "disconnected") {
        this.setState("reconnecting", "The call is interrupted. Reconnecting…");
        // Give ICE a moment to recover by itself, then restart it.
        this.disconnectedTimer = setTimeout(() => pc === this.pc && pc.restartIce(), 3000);
      } else if (pc.connectionState === "failed") {
        this.setState("reconnecting", "Reconnecting the call…");
        pc.restartIce();
      }
    };
  }

  private hasTurn(): boolean {
    const urls = (this.joined?.ice_servers ?? []).flatMap((server) => server.urls);
    return urls.some((url) => url.startsWith("turn:") || url.startsWith("turns:"));
  }

  private closeConnection(): void {
    clearTimeout(this.disconnectedTimer);
    clearInterval(this.watchdog);
    if (this.pc) {
      this.pc.onnegotiationneeded = null;
      this.pc.onconnectionstatechange = null;
      this.pc.onsignalingstatechange = null;
      this.pc.close();
    }
    this.pc = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.awaitingOffer = false;
  }

  private send(payload: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): void {
    if (!this.remote) return;
    this.live?.socket.emit("signal", { to: this.remote.peer_id, ...payload });
  }

  private async onSignal({ from, description, candidate }: Signal): Promise<void> {
    this.trace(`signal from ${from}: ${description ? description.type : "candidate"}`);
    if (!this.remote || from !== this.remote.peer_id) return;
    if (!this.pc) this.newConnection();
    const pc = this.pc;
    if (!pc) return;
    const polite = this.joined?.role === "client";
    if (description) {
      this.lastDescriptionAt = Date.now();
      if (description.type === "offer") this.awaitingOffer = false;
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !polite && collision;
      if (this.ignoreOffer) return;
      try {
        await pc.setRemoteDescription(description);
      } catch (error) {
        this.trace(`remote ${description.type} refused: ${String(error)}`);
        // The other side started a new connection (it reloaded): start ours afresh too.
        this.newConnection();
        if (description.type !== "offer" || !this.pc) return;
        await this.pc.setRemoteDescription(description);
      }
      const current = this.pc;
      if (description.type === "offer" && current) {
        await current.setLocalDescription();
        if (current.localDescription) this.send({ description: current.localDescription.toJSON() as RTCSessionDescriptionInit });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch {
        // Candidates of an offer we ignored, or of a connection we replaced.
      }
    }
  }

  private lastBytes = 0;
  private lastStats: { lost: number; received: number } = { lost: 0, received: 0 };

  private async measure(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const report = await pc.getStats();
    let audio = 0;
    let video = 0;
    let lost = 0;
    let received = 0;
    let rtt: number | null = null;
    let localCandidate: unknown = null;
    report.forEach((stat: Record<string, unknown>) => {
      if (stat.type === "inbound-rtp") {
        const bytes = Number(stat.bytesReceived ?? 0);
        if (stat.kind === "audio") audio += bytes;
        else if (stat.kind === "video") video += bytes;
        lost += Number(stat.packetsLost ?? 0);
        received += Number(stat.packetsReceived ?? 0);
      } else if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") {
        if (typeof stat.currentRoundTripTime === "number") rtt = stat.currentRoundTripTime * 1000;
        localCandidate = stat.localCandidateId;
      }
    });
    const local = typeof localCandidate === "string" ? (report.get(localCandidate) as { candidateType?: string } | undefined) : undefined;
    const route = local?.candidateType ?? null;
    const newLost = lost - this.lastStats.lost;
    const newReceived = received - this.lastStats.received;
    this.lastStats = { lost, received };
    const loss = newLost + newReceived > 0 ? (100 * Math.max(0, newLost)) / (newLost + newReceived) : null;
    const flowing = audio + video > this.lastBytes;
    this.lastBytes = audio + video;
    let level: Quality["level"] = "unknown";
    if (pc.connectionState === "connected") {
      const rttValue = rtt ?? 0;
      if (!flowing || (loss ?? 0) > 8 || rttValue > 600) level = "poor";
      else if ((loss ?? 0) > 2 || rttValue > 250) level = "fair";
      else level = "good";
    }
    this.events.quality({ level, rttMs: rtt, lossPercent: loss, inboundAudioBytes: audio, inboundVideoBytes: video, route });
  }

  setMuted(muted: boolean): void {
    for (const track of this.local?.getAudioTracks() ?? []) track.enabled = !muted;
    this.muted = muted;
    this.tellMedia();
  }

  setCameraOff(off: boolean): void {
    for (const track of this.local?.getVideoTracks() ?? []) track.enabled = !off;
    this.cameraOff = off;
    this.tellMedia();
  }

  private muted = false;
  private cameraOff = false;

  /** Tell the room whether our microphone and camera are on (a muted track still flows, so
   * the other side cannot see it): on every change, after joining, and to whoever (re)joins. */
  private tellMedia(): void {
    if (!this.local || !this.live?.socket.connected) return;
    const video = this.local.getVideoTracks().length > 0 && !this.cameraOff;
    this.live.socket.emit("media:state", { audio: !this.muted, video });
  }

  /** Send `track` instead of the camera (screen share), or the camera again with null. */
  async replaceVideo(track: MediaStreamTrack | null): Promise<void> {
    this.outgoingVideo = track ?? this.local?.getVideoTracks()[0] ?? null;
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === "video" || (s.track === null && this.outgoingVideo));
    if (sender) await sender.replaceTrack(this.outgoingVideo);
  }

  /** Fresh TURN credentials a minute before ours expire, so a late ICE restart finds a relay. */
  private planIceRefresh(sync: TimerSync): void {
    clearTimeout(this.iceRefresh);
    if (!sync.ice_expires_at) return;
    const offset = Date.parse(sync.server_time) - Date.now();
    const due = Date.parse(sync.ice_expires_at) - offset - Date.now() - 60_000;
    this.iceRefresh = setTimeout(() => void this.refreshIce(), Math.max(0, due));
  }

  private async refreshIce(): Promise<void> {
    const socket = this.live?.socket;
    if (!socket || this.ended || !this.joined) return;
    try {
      const answer = (await socket.timeout(10_000).emitWithAck("ice:refresh", {})) as
        | { ok: true; ice_servers: RTCIceServer[]; ice_expires_at: string | null }
        | Refused;
      if (!answer.ok) return;
      this.joined = { ...this.joined, ice_servers: answer.ice_servers };
      this.pc?.setConfiguration({ ...this.pc.getConfiguration(), iceServers: answer.ice_servers });
      if (answer.ice_expires_at) this.planIceRefresh({ ...this.joined.timer, server_time: new Date().toISOString(), ice_expires_at: answer.ice_expires_at });
    } catch {
      // The next timer:sync plans another try.
    }
  }

  async leave(): Promise<void> {
    this.ended = true;
    clearTimeout(this.iceRefresh);
    clearInterval(this.statsTimer);
    window.removeEventListener("offline", this.onOffline);
    const socket = this.live?.socket;
    if (socket?.connected) {
      try {
        await socket.timeout(2000).emitWithAck("leave", {});
      } catch {
        // Leaving anyway: the server times our place out.
      }
    }
    this.live?.close();
    this.closeConnection();
  }
}
