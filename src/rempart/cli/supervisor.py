"""Start child processes, watch them, and stop every one of them on Ctrl-C or SIGTERM.

Each child runs in its own process group so that stopping it also stops whatever it started.
If any child exits on its own, the supervisor stops the others and reports which one died.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Supervisor:
    """Use it as a context manager: Ctrl-C and SIGTERM are caught from the start (not only
    once everything is up), and every child is stopped on the way out, whatever happened."""

    echo: Callable[[str], None]
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False
    _previous: dict[int, Any] = field(default_factory=dict)

    def __enter__(self) -> Supervisor:
        self._previous = {
            sig: signal.signal(sig, self._signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            self._previous = {}

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, list(argv))
        child.process = subprocess.Popen(list(argv), start_new_session=True, env=env)
        self.children.append(child)
        self.echo(f"  started {name} (pid {child.process.pid})")
        return child

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def poll(self) -> int | None:
        """None while every child runs; 0 after Ctrl-C or SIGTERM; 1 once a child has exited
        (reported by name)."""
        if self._stopping:
            return 0
        for child in self.children:
            assert child.process is not None
            status = child.process.poll()
            if status is not None:
                self.echo(f"rempart: {child.name} exited with status {status}")
                self._stopping = True
                return 1
        return None

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, poll_s: float = 0.3) -> int:
        """Until `ready()` (-1), a signal (0), a child's death (1) or the timeout (2)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.poll()
            if code is not None:
                return code
            if ready():
                return -1
            time.sleep(poll_s)
        return 2

    def wait(self, poll_s: float = 0.5) -> int:
        """Block until a signal (0) or a child's death (1); the caller's `with` stops the rest."""
        while (code := self.poll()) is None:
            time.sleep(poll_s)
        return code

    def stop_all(self, grace_s: float = 8.0) -> None:
        for child in reversed(self.children):
            proc = child.process
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + grace_s
        for child in reversed(self.children):
            proc = child.process
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self.echo(f"  stopped {child.name}")


def rempart_argv(*args: str) -> list[str]:
    """The same interpreter running `rempart ARGS` (works without the script on PATH)."""
    return [sys.executable, "-m", "rempart", *args]
