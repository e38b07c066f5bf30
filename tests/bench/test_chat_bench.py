"""`bench.chat --quick`: the harness runs end to end on two nodes, checks every `seq` and
reports every number it promises (their values are the benchmark's business)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.timeout(150)  # two pairs of server processes and their generators; about 60 s
def test_quick_run_checks_every_seq_and_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.chat", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    results = json.loads(out.read_text())
    assert [r["mode"] for r in results] == ["sealed", "plain"]
    for result in results:
        assert (result["rooms"], result["joined"], result["errors"]) == (20, 40, {})
        assert result["messages"] > 50
        assert (result["lost"], result["duplicated"], result["reordered"], result["gaps"]) == (
            0,
            0,
            0,
            0,
        )
        for measure in (
            "delivered_per_second",
            "server_cpu_us_per_message",
            "server_cpu_us_per_message_above_idle",
        ):
            assert result[measure] > 0, measure
        assert result["server_idle_cpu_cores"] >= 0
        assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert "every seq checked: PASS" in run.stdout
