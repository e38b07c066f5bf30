// The pre-join check's parts: devices, a preview, a microphone level meter, a connection test.

export interface Devices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

export async function devices(): Promise<Devices> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: all.filter((d) => d.kind === "videoinput"),
    microphones: all.filter((d) => d.kind === "audioinput"),
  };
}

export async function capture(video: boolean, cameraId?: string, microphoneId?: string): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    audio: microphoneId ? { deviceId: { exact: microphoneId }, echoCancellation: true, noiseSuppression: true } : { echoCancellation: true, noiseSuppression: true },
    video: video ? (cameraId ? { deviceId: { exact: cameraId }, width: { ideal: 1280 }, height: { ideal: 720 } } : { width: { ideal: 1280 }, height: { ideal: 720 } }) : false,
  });
}

export function stop(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** The microphone's level, 0–1, on `meter` about 15 times a second. Returns a stop function. */
export function levelMeter(stream: MediaStream, meter: HTMLMeterElement): () => void {
  const track = stream.getAudioTracks()[0];
  if (!track) return () => undefined;
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let running = true;
  const timer = setInterval(() => {
    if (!running) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const rms = Math.sqrt(sum / samples.length);
    meter.value = Math.min(1, rms * 4);
    meter.dataset.level = meter.value.toFixed(3);
  }, 66);
  void context.resume();
  return () => {
    if (!running) return;
    running = false;
    clearInterval(timer);
    source.disconnect();
    if (context.state !== "closed") void context.close().catch(() => undefined);
  };
}

export interface ConnectionTest {
  ok: boolean;
  text: string;
}

/**
 * Can this browser reach the server, and can it run a peer connection? The server's round trip
 * (three GET /healthz) and two local RTCPeerConnections opening a data channel to each other.
 */
export async function connectionTest(): Promise<ConnectionTest> {
  const trips: number[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      const response = await fetch("/healthz", { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      trips.push(performance.now() - started);
    }
  } catch {
    return { ok: false, text: "The server could not be reached. Check your internet connection." };
  }
  const rtt = Math.round(Math.min(...trips));
  const webrtc = await localPeers();
  if (!webrtc) {
    return { ok: false, text: `Server reached in ${rtt} ms, but this browser could not open a media connection. Try another browser or network.` };
  }
  const speed = rtt < 150 ? "good" : rtt < 400 ? "fair" : "slow";
  return { ok: true, text: `Connection ${speed}: server reached in ${rtt} ms; media connections work.` };
}

async function localPeers(): Promise<boolean> {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  try {
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate).catch(() => undefined);
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate).catch(() => undefined);
    const channel = a.createDataChannel("check");
    const opened = new Promise<boolean>((resolve) => {
      channel.onopen = () => resolve(true);
      setTimeout(() => resolve(false), 5000);
    });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
    return await opened;
  } catch {
    return false;
  } finally {
    a.close();
    b.close();
  }
}
