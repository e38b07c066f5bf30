"""`bench.resources`: the harness runs end to end on a small file and reports every number it
promises (their values are the benchmark's business)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def test_a_small_run_reports_both_pipelines_and_the_heap_peak() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.resources", "--megabytes", "1", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert any(line.startswith("plaintext (baseline)") and "MB/s" in line for line in lines)
    assert any(line.startswith("type check + sealed chunks") for line in lines)
    assert any(line.startswith("Python heap peak") and "MiB" in line for line in lines)
