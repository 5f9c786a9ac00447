"""Write the corpus table of docs/compatibility.md: runs every corpus flow on kestra-stream
(``server local``'s memory backend, in this process) and compares it with the recording.

    python tests/compat/report.py            # rewrites the part between the two TABLE markers
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.api.api_backends import memory_backend, memory_config  # noqa: E402
from tests.compat.corpus import Entry, load  # noqa: E402
from tests.compat.test_corpus import run_all  # noqa: E402

DOC = REPO / "docs" / "compatibility.md"
BEGIN, END = "<!-- TABLE BEGIN (tests/compat/report.py) -->", "<!-- TABLE END -->"


def _summary(result: dict[str, Any]) -> str:
    runs = sum(len(found) for found in result["taskRuns"].values())
    return f"{result['state']} ({runs} task runs)"


def _row(entry: Entry, ours: Any) -> str:
    kestra = entry.recorded["execution"]
    recorded = f"{kestra['state']['current']} ({len(kestra['taskRunList'])} task runs)"
    if isinstance(ours, BaseException):
        return f"| `{entry.name}` | {recorded} | error: {str(ours).splitlines()[0][:80]} | ❌ |"
    verdict = "✅ same"
    if entry.differences:
        verdict = "⚠️ deliberate difference (below)"
    if ours != entry.expected():
        verdict = f"❌ known bug: {entry.xfail}" if entry.xfail else "❌ differs"
    return f"| `{entry.name}` | {recorded} | {_summary(ours)} | {verdict} |"


def main() -> int:
    entries = load()
    with (
        tempfile.TemporaryDirectory() as tmp,
        memory_backend(memory_config(Path(tmp)), worker_threads=8) as base,
    ):
        results = asyncio.run(run_all(base, entries))
    lines = ["| flow | Kestra 1.3.31 (recorded) | kestra-stream | compared |", "|---|---|---|---|"]
    lines += [_row(entry, results[entry.name]) for entry in entries]
    text = DOC.read_text()
    table = "\n".join([BEGIN, *lines, END])
    DOC.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: table, text, flags=re.DOTALL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
