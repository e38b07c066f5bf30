"""`flourish serve --demo` turns dial-in on and prints the demo client's PIN for the live phone
session; `flourish dial-in PIN` (a stand-in for Twilio's side, media.dialer) calls it in: the
caller is in the room alone and hears the waiting prompt, recorded to a WAV file."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from media.audio import prompt, ulaw_to_linear
from realtime.demo import DEMO_PASSWORD
from tests.realtime.test_cli import run, serving


@pytest.mark.timeout(90)
def test_the_demo_prints_a_pin_that_dial_in_calls_in_with(tmp_path: Path) -> None:
    with serving(tmp_path, "--demo") as server:
        printed = server.output.read_text()
        [pin] = re.findall(r"flourish dial-in (\d{6})", printed)
        [coach] = re.findall(r"its coach logs in as (\S+@demo\.flourish\.example)", printed)
        status, _ = server.post("/api/auth/login", {"email": coach, "password": DEMO_PASSWORD})
        assert status == 200  # the printed coach can take the call
        heard = tmp_path / "heard.wav"
        url = f"http://127.0.0.1:{server.port}"
        call = run(tmp_path, "dial-in", pin, "--url", url, "--seconds", "6", "--record", str(heard))
        wrong = run(tmp_path, "dial-in", "000000", "--url", url, "--seconds", "1")
    assert call.returncode == 0, call.stdout + call.stderr
    assert "PIN accepted" in call.stdout
    with wave.open(str(heard)) as recorded:
        assert (recorded.getframerate(), recorded.getnchannels()) == (8000, 1)
        audio = recorded.readframes(recorded.getnframes())
    waiting = ulaw_to_linear(b"".join(prompt("waiting")))
    assert audio[: len(waiting)] == waiting  # alone in the room: told the coach will come
    assert wrong.returncode == 1
    assert "not connected" in wrong.stdout
    assert "not recognised" in wrong.stdout  # the TwiML's words, asked again after a wrong PIN
