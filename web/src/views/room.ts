// The session room: pre-join check, waiting, the call, reconnecting, the end screen.

import { explain, get, me } from "../api";
import { errorBox, field, fill, h, select, spinner, status } from "../dom";
import { clock, SESSION_TYPES, span, viewerZone } from "../format";
import { Call, type CallState, type Joined, type PeerInfo, type Quality } from "../room/call";
import { capture, connectionTest, devices, levelMeter, stop } from "../room/media";
import { focusHeading } from "../router";
import type { Booking } from "../types";
import { chatPanel, transcript } from "./chatpanel";
import { resourcesPanel } from "./resourcespanel";
import { avatar } from "./common";
import { notesPanel } from "./notespanel";

const RELAY_KEY = "flourish.relayOnly";

export async function room(main: HTMLElement, [bookingId]: string[]): Promise<() => void> {
  main.append(spinner("Loading your session…"));
  let booking: Booking;
  try {
    booking = await get<Booking>(`/api/bookings/${bookingId}`);
  } catch (error) {
    fill(main, h("h1", {}, "Session"), errorBox(explain(error)));
    return () => undefined;
  }
  const user = me();
  const otherRole = user?.role === "coach" ? "client" : "coach";
  const otherName = user?.role === "coach" ? (booking.client_name ?? "your client") : booking.coach_name;
  const video = booking.session_type === "video";
  const section = h("section", { class: "room", "data-state": "check", "aria-labelledby": "room-title" });
  fill(
    main,
    h("h1", { id: "room-title" }, `${SESSION_TYPES[booking.session_type] ?? booking.session_type} session with ${otherName}`),
    h("p", { class: "meta" }, span(booking.starts_at, booking.ends_at)),
    section,
  );
  focusHeading(main);
  if (Date.now() >= Date.parse(booking.ends_at)) {
    // Over: the chat and the notes stay readable for the two participants.
    section.dataset.state = "over";
    section.append(
      h("p", { class: "hint" }, "This session is over; its chat, resources and notes stay here for you."),
      h("div", { class: "room-body" }, transcript(bookingId, user?.id ?? "", otherName), h("div", { class: "side" }, resourcesPanel(bookingId, user?.role === "coach").element, notesPanel(bookingId, user?.role === "coach").element)),
    );
    return () => undefined;
  }
  const chatOnly = booking.session_type === "chat";
  // Set while this tab is in the call: a reload rejoins by itself.
  const inRoomKey = `flourish.in-room.${bookingId}`;
  // Beside the call (a chat session: the chat alone, no camera or microphone asked for).
  const chat = chatPanel(bookingId, user?.id ?? "", otherName, !chatOnly);
  // Between the chat and the notes: what the coach shares (links, files, library items).
  const resources = resourcesPanel(bookingId, user?.role === "coach");
  const notes = notesPanel(bookingId, user?.role === "coach");
  const side = h("div", { class: "side" }, chatOnly ? null : chat.element, resources.element, notes.element);

  let local: MediaStream | null = null;
  let stopMeter: () => void = () => undefined;
  let call: Call | null = null;

  // ---- Pre-join check -------------------------------------------------------------------
  const camera = select({ name: "camera" }, []);
  const microphone = select({ name: "microphone" }, []);
  const preview = h("video", { autoplay: true, playsinline: true, muted: true, "aria-label": "Your camera preview" });
  preview.muted = true;
  const meter = h("meter", { min: 0, max: 1, low: 0.05, high: 0.8, optimum: 0.3, value: 0, "aria-label": "Microphone level" });
  const network = h("p", { class: "network", role: "status" });
  const relay = h("input", { type: "checkbox", name: "relay", checked: localStorage.getItem(RELAY_KEY) === "1" });
  const check = h("button", { type: "button", class: "primary" }, video ? "Check camera and microphone" : "Check microphone");
  const join = h("button", { type: "button", class: "primary", disabled: true }, "Join session");
  const note = status();
  const deviceFields = h(
    "div",
    { class: "row", hidden: true },
    video ? field("Camera", camera) : null,
    field("Microphone", microphone),
  );
  const checkPanel = h(
    "div",
    { class: "card prejoin" },
    h("h2", {}, "Before you join"),
    h("p", {}, video ? "Check that your camera and microphone work." : "This is a phone session: audio only. Check that your microphone works."),
    check,
    deviceFields,
    video ? h("div", { class: "preview" }, preview) : null,
    field("Microphone level (speak to test)", meter),
    network,
    h("label", { class: "check" }, relay, " Always relay the call through our server (hides your IP address; may lower quality)"),
    note,
    h("div", { class: "actions" }, join),
  );
  if (!chatOnly) section.append(checkPanel);

  async function startDevices(): Promise<void> {
    stopMeter();
    stop(local);
    local = await capture(video, camera.value || undefined, microphone.value || undefined);
    preview.srcObject = local;
    stopMeter = levelMeter(local, meter);
    const found = await devices();
    const keep = (el: HTMLSelectElement, list: MediaDeviceInfo[], current?: string) =>
      fill(el, ...list.map((d, i) => {
        const option = h("option", { value: d.deviceId }, d.label || `Device ${i + 1}`);
        option.selected = d.deviceId === current;
        return option;
      }));
    keep(camera, found.cameras, local.getVideoTracks()[0]?.getSettings().deviceId);
    keep(microphone, found.microphones, local.getAudioTracks()[0]?.getSettings().deviceId);
    deviceFields.hidden = false;
  }

  check.addEventListener("click", () => {
    check.disabled = true;
    fill(note, spinner("Asking for your camera and microphone…"));
    network.textContent = "Testing your connection…";
    void (async () => {
      try {
        await startDevices();
        fill(note);
        join.disabled = false;
        join.focus();
      } catch (error) {
        fill(note, errorBox(`We could not use your ${video ? "camera or microphone" : "microphone"}: ${explain(error)}. Allow access in your browser and try again.`));
        check.disabled = false;
      }
      const result = await connectionTest();
      network.textContent = result.text;
      network.dataset.ok = String(result.ok);
    })();
  });
  for (const el of [camera, microphone]) el.addEventListener("change", () => void startDevices().catch((e) => fill(note, errorBox(explain(e)))));
  relay.addEventListener("change", () => localStorage.setItem(RELAY_KEY, relay.checked ? "1" : "0"));

  // ---- The call ------------------------------------------------------------------------
  const remoteVideo = h("video", { class: "remote", autoplay: true, playsinline: true, "aria-label": `${otherName}'s video` });
  const remoteAudio = h("audio", { autoplay: true });
  const localVideo = h("video", { class: "local", autoplay: true, playsinline: true, muted: true, "aria-label": "Your video" });
  localVideo.muted = true;
  const overlay = h("div", { class: "overlay", role: "status", "aria-live": "polite" });
  // The other side's camera off: their initials where their video was; their microphone off: said.
  const cameraOffCard = h("div", { class: "camera-off", hidden: true }, avatar(otherName, "lg"), h("p", {}, `${otherName}’s camera is off`));
  const micOff = h("p", { class: "mic-off", hidden: true, role: "status" }, `${otherName}’s microphone is off`);
  // A client who dialled in: the server bridges their telephone into the call.
  const onPhone = h("p", { class: "via-phone", hidden: true, role: "status" }, `${otherName} is on the phone (audio only, no chat)`);
  const stage = h(
    "div",
    { class: video ? "stage" : "stage audio" },
    video ? [remoteVideo, cameraOffCard, localVideo] : [avatar(otherName, "lg"), remoteAudio],
    onPhone,
    micOff,
    overlay,
  );
  const quality = h("p", { class: "quality", "data-level": "unknown", "aria-live": "off" }, "Connection: waiting");
  const mute = h("button", { type: "button", "aria-pressed": "false" }, "Mute");
  const cameraOff = h("button", { type: "button", "aria-pressed": "false" }, "Camera off");
  const share = h("button", { type: "button", "aria-pressed": "false" }, "Share screen");
  const leave = h("button", { type: "button", class: "danger" }, "Leave");
  const controls = h(
    "div",
    { class: "controls", role: "toolbar", "aria-label": "Call controls" },
    mute,
    video ? cameraOff : null,
    video && user?.role === "coach" && "getDisplayMedia" in navigator.mediaDevices ? share : null,
    leave,
  );
  // The countdown follows the server's clock (timer:sync), whatever this device's says.
  const countdown = h("p", { class: "countdown", role: "timer", "aria-live": "off" }, "");
  const warned = h("p", { class: "warning", role: "alert", hidden: true });
  const callPanel = h("div", { class: "call" }, countdown, warned, stage, quality, controls);
  let joined: Joined | null = null;
  let endTimer: ReturnType<typeof setInterval> | undefined;
  let serverOffset = 0;
  let endsAt = 0;

  function tick(): void {
    const left = Math.round((endsAt - (Date.now() + serverOffset)) / 1000);
    const shown = Math.max(0, Math.abs(left));
    const text = `${Math.floor(shown / 60)}:${String(shown % 60).padStart(2, "0")}`;
    countdown.dataset.remaining = String(left);
    countdown.textContent = left >= 0 ? `${text} left` : `Overtime ${text}: the session closes shortly`;
  }

  function waitingText(): string {
    const who = otherRole === "coach" ? "Your coach" : "Your client";
    const starts = Date.parse(joined?.starts_at ?? booking.starts_at);
    return starts > Date.now() ? `${who} will join at ${clock(new Date(starts).toISOString(), viewerZone(), true)}.` : `Waiting for ${otherName} to join…`;
  }

  function show(state: CallState, detail: string): void {
    section.dataset.state = state;
    const texts: Partial<Record<CallState, string>> = {
      joining: "Joining…",
      waiting: `${detail ? `${detail} ` : ""}${waitingText()}`,
      connecting: detail || `Connecting to ${otherName}…`,
      reconnecting: detail || "Reconnecting…",
    };
    overlay.textContent = texts[state] ?? "";
    overlay.hidden = state === "connected";
    if (chatOnly && state === "connected") {
      overlay.textContent = `In the room with ${otherName}.`;
      overlay.hidden = false;
    }
    if (state === "ended" || state === "refused") finish(detail, state === "refused");
  }

  function showQuality(q: Quality): void {
    quality.dataset.level = q.level;
    quality.dataset.inboundAudioBytes = String(q.inboundAudioBytes);
    quality.dataset.inboundVideoBytes = String(q.inboundVideoBytes);
    quality.dataset.route = q.route ?? "";
    const words = { good: "good", fair: "fair: video may stutter", poor: "poor: try turning your camera off", unknown: "connecting" };
    const rtt = q.rttMs === null ? "" : ` · ${Math.round(q.rttMs)} ms`;
    const relayed = q.route === "relay" ? " · relayed" : "";
    quality.textContent = section.dataset.state === "reconnecting" ? "Connection interrupted" : `Connection ${words[q.level]}${rtt}${relayed}`;
  }

  function enter(stream: MediaStream | null): void {
    if (stream) {
      checkPanel.replaceWith(h("div", { class: "room-body" }, callPanel, side));
    } else {
      overlay.classList.add("presence");
      // A chat session keeps time too: the countdown and the warnings above the chat.
      section.append(h("div", { class: "room-body chat-only" }, h("div", { class: "chat-main" }, countdown, warned, overlay, chat.element, h("div", { class: "controls" }, leave)), side));
    }
    show("joining", "");
    call = new Call(
      bookingId,
      stream,
      {
        state: show,
        joined(answer) {
          joined = answer;
          void chat.log.joined(answer.role, answer.chat);
        },
        timer(sync) {
          serverOffset = Date.parse(sync.server_time) - Date.now();
          endsAt = Date.parse(sync.ends_at);
          clearInterval(endTimer);
          endTimer = setInterval(tick, 1000);
          tick();
        },
        warning(remainingS) {
          warned.hidden = false;
          warned.textContent = remainingS >= 60 ? `${Math.round(remainingS / 60)} minute${remainingS >= 120 ? "s" : ""} left in this session.` : `${remainingS} seconds left in this session.`;
        },
        peer(peer: PeerInfo | null) {
          onPhone.hidden = peer?.via !== "phone";
          stage.dataset.peerVia = peer?.via ?? "";
          // Names come from the booking; a peer who left takes their media state along.
          if (!peer) {
            cameraOffCard.hidden = true;
            micOff.hidden = true;
            // No peer, no connection to judge: the line waits for the next one.
            quality.dataset.level = "unknown";
            quality.textContent = "Connection: waiting";
          }
        },
        peerMedia(state) {
          micOff.hidden = state.audio;
          cameraOffCard.hidden = !video || state.video;
          stage.dataset.peerAudio = String(state.audio);
          stage.dataset.peerVideo = String(state.video);
        },
        remoteStream(stream) {
          if (video) {
            if (remoteVideo.srcObject !== stream) remoteVideo.srcObject = stream;
          } else if (remoteAudio.srcObject !== stream) {
            remoteAudio.srcObject = stream;
          }
        },
        quality: showQuality,
      },
      relay.checked,
    );
    call.start();
    if (call.socket) {
      chat.log.attach(call.socket);
      resources.attach(call.socket);
      notes.attach(call.socket);
    }
  }
  join.addEventListener("click", () => {
    if (!local) return;
    stopMeter();
    localVideo.srcObject = local;
    sessionStorage.setItem(inRoomKey, "1");
    enter(local);
    mute.focus();
  });
  if (chatOnly) enter(null);
  else if (sessionStorage.getItem(inRoomKey)) {
    // This tab was in the call (a reload, a crash of the page): back in without the check,
    // on the devices the browser already allows; the check stays if they cannot be opened.
    void startDevices()
      .then(() => {
        join.disabled = false;
        join.click();
      })
      .catch(() => sessionStorage.removeItem(inRoomKey));
  }

  mute.addEventListener("click", () => {
    const on = mute.getAttribute("aria-pressed") !== "true";
    mute.setAttribute("aria-pressed", String(on));
    mute.textContent = on ? "Unmute" : "Mute";
    call?.setMuted(on);
  });
  cameraOff.addEventListener("click", () => {
    const on = cameraOff.getAttribute("aria-pressed") !== "true";
    cameraOff.setAttribute("aria-pressed", String(on));
    cameraOff.textContent = on ? "Camera on" : "Camera off";
    call?.setCameraOff(on);
  });
  let screen: MediaStream | null = null;
  const stopSharing = async () => {
    stop(screen);
    screen = null;
    share.setAttribute("aria-pressed", "false");
    share.textContent = "Share screen";
    localVideo.srcObject = local;
    await call?.replaceVideo(null);
  };
  share.addEventListener("click", () => {
    void (async () => {
      if (screen) return stopSharing();
      try {
        screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
      } catch {
        return; // the person chose not to share
      }
      const track = screen.getVideoTracks()[0];
      track.addEventListener("ended", () => void stopSharing());
      share.setAttribute("aria-pressed", "true");
      share.textContent = "Stop sharing";
      localVideo.srcObject = screen;
      await call?.replaceVideo(track);
    })();
  });

  // ---- The end -------------------------------------------------------------------------
  let finished = false;
  function finish(detail: string, refused: boolean): void {
    if (finished) return;
    finished = true;
    sessionStorage.removeItem(inRoomKey);
    clearInterval(endTimer);
    void call?.leave();
    chat.close();
    stop(screen);
    stop(local);
    stopMeter();
    section.dataset.state = refused ? "refused" : "ended";
    fill(
      section,
      h(
        "div",
        { class: "card ended", role: "status" },
        h("h2", {}, refused ? "You can't join right now" : "The session has ended"),
        detail ? h("p", {}, detail) : null,
        h("div", { class: "actions" }, h("a", { href: "/sessions", class: "button primary" }, "Back to my sessions"), refused ? null : h("a", { href: `/sessions/${bookingId}`, class: "button" }, "Rejoin")),
      ),
    );
  }
  async function end(detail: string): Promise<void> {
    finish(detail, false);
  }
  leave.addEventListener("click", () => void end("You left the session."));

  return () => {
    finished = true;
    clearInterval(endTimer);
    void call?.leave();
    chat.close();
    stop(screen);
    stop(local);
    stopMeter();
  };
}
