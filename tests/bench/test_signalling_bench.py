"""`bench.signalling --quick` against the bare relay: the harness runs end to end and reports
every number it promises (their values are the benchmark's business, not this test's); with
`--rounds`, the medians."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.signalling_results import Result, median_of

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.timeout(90)  # starts a server and two node processes; about 10 s
def test_quick_run_against_the_bare_relay_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = ["-m", "bench.signalling", "--quick", "--servers", "bare", "--json", str(out)]
    run = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    (result,) = json.loads(out.read_text())
    assert (result["server"], result["connections"], result["joined"]) == ("bare", 100, 100)
    assert result["errors"] == {}
    for measure in (
        "relayed_per_second",
        "round_trips_per_second",
        "server_cpu_us_per_signal",
        "generator_cpu_us_per_signal",
        "open_relayed_per_second",
        "memory_kb_per_connection",
    ):
        assert result[measure] > 0, measure
    assert 0 < result["round_trip_p50_ms"] <= result["round_trip_p99_ms"]
    assert 0 < result["open_p50_ms"] <= result["open_p99_ms"] <= result["open_max_ms"]
    assert result["open_offered_per_second"] == 1000
    assert "| bare | 100 | 100 |" in run.stdout


def test_rounds_report_the_median_of_each_measure_and_every_error() -> None:
    rounds = [
        Result("ours", 1000, joined=1000, relayed_per_second=3000.0, open_p99_ms=9.0),
        Result("ours", 1000, joined=998, relayed_per_second=5000.0, open_p99_ms=3.0),
        Result(
            "ours", 1000, joined=1000, relayed_per_second=4000.0, open_p99_ms=4.0, errors={"x": 2}
        ),
    ]
    median = median_of(rounds)
    assert (median.server, median.connections, median.joined) == ("ours", 1000, 998)
    assert (median.relayed_per_second, median.open_p99_ms) == (4000.0, 4.0)
    assert median.errors == {"x": 2}
    assert median.rounds_relayed_per_second == [3000.0, 5000.0, 4000.0]
    assert rounds[0].errors == {}  # the rounds themselves are left as they were
