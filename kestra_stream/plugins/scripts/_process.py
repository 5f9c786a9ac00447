"""A local process in its own process group: lines streamed to a callback, killed as a group."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from kestra_stream.plugins.scripts._protocol import Stream
from kestra_stream.runtime.cancellation import CancelToken

KILL_GRACE_SECONDS = 2.0


def _pump(pipe: IO[bytes], stream: Stream, on_line: Callable[[str, Stream], None]) -> None:
    with pipe:
        for raw in iter(pipe.readline, b""):
            on_line(raw.decode("utf-8", errors="replace"), stream)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            if sig == signal.SIGTERM:
                # The leader is gone; its children may not be.
                os.killpg(process.pid, signal.SIGKILL)
            return
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_line: Callable[[str, Stream], None],
    token: CancelToken,
) -> int | None:
    """Exit code, or ``None`` when cancelled (the process group was killed)."""
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, "stdout", on_line), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, "stderr", on_line), daemon=True),
    ]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        if token.wait(0.05):
            kill_group(process)
            break
    # Background children can keep the pipes open after the leader exits: wait, but stay cancellable.
    while any(reader.is_alive() for reader in readers):
        if token.cancelled:
            kill_group(process)
            for reader in readers:
                reader.join(KILL_GRACE_SECONDS)
            break
        for reader in readers:
            reader.join(0.05)
    return None if token.cancelled else process.returncode
