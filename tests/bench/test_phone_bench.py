"""`bench.phone --quick`: the harness runs end to end (a server carrying 3 bridged calls, their
Twilio stand-ins and aiortc coaches, the direct aiortc baseline), checks the audio flowed both
ways and reports every number it promises (their values are the benchmark's business)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.timeout(120)  # one server, one load process; about 30 s
def test_quick_run_checks_audio_both_ways_and_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.phone", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "audio both ways: PASS" in run.stdout

    (result,) = json.loads(out.read_text())
    assert (result["calls"], result["up"], result["errors"]) == (3, 3, [])
    assert result["caller_heard_coach"] > 0.9  # the coaches' 880 Hz reached the callers
    assert result["coach_heard_caller"] > 0.9  # the callers' tones reached the coaches
    assert result["pings_back"] > 0
    assert result["baseline_pings_back"] > 0
    for measure in (
        "server_cpu_cores",
        "server_cpu_ms_per_call_second",
        "load_cpu_cores",
        "machine_busy_cores",
        "lateness_p50_ms",
        "lateness_p99_ms",
        "lateness_frames",
        "caller_frames",
        "coach_frames",
        "round_trip_p50_ms",
        "round_trip_p99_ms",
        "up_p50_ms",
        "baseline_round_trip_p50_ms",
        "baseline_round_trip_p99_ms",
        "baseline_up_p50_ms",
    ):
        assert result[measure] > 0, measure
    assert set(result["server_frames"]) == {"received", "dropped_in", "sent", "dropped_out", "late"}
    assert result["server_frames"]["received"] > 0
    assert result["server_frames"]["sent"] > 0
    for measure in ("caller_missing", "coach_missing", "others_cores"):
        assert result[measure] >= 0, measure
    assert len(result["load_average"]) == 3
    assert "bridge_one_way_ms" in result
    assert "Targets: 50 calls on one core" in run.stdout
