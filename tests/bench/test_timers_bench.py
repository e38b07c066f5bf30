"""`bench.timers --quick`: the harness runs end to end with two timer processes on real Redis,
kills the lease holder in its second run, counts every timer and reports every number it
promises (their values are the benchmark's business)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.timeout(90)  # a baseline and two runs of about 10 s each
def test_quick_run_counts_every_timer_and_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.timers", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    results = json.loads(out.read_text())
    assert [r["mode"] for r in results] == ["baseline", "steady", "kill"]
    for result in results:
        assert (result["sessions"], result["timers"], result["fired"]) == (200, 600, 600)
        assert (result["missed"], result["doubled"]) == (0, 0)
        for measure in ("warning_ms", "end_ms"):
            spread = result[measure]
            assert 0 <= spread["p50"] <= spread["p99"] <= spread["max"], measure
    steady, kill = results[1], results[2]
    assert len(steady["cpu_seconds"]) == len(kill["cpu_seconds"]) == 2
    assert kill["after_kill_ms"]["count"] > 0
    assert "every timer fired once: PASS" in run.stdout
