"""docs/errors.md lists every error code, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from realtime.errors import Code

DOC = Path(__file__).parents[2] / "docs" / "errors.md"


def test_every_code_is_documented_once() -> None:
    listed = re.findall(r"^\| `([a-z_0-9]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert sorted(listed) == sorted(code.value for code in Code)
