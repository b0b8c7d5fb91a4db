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


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Supervisor:
    echo: Callable[[str], None]
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, list(argv))
        child.process = subprocess.Popen(list(argv), start_new_session=True, env=env)
        self.children.append(child)
        self.echo(f"  started {name} (pid {child.process.pid})")
        return child

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def wait(self, poll_s: float = 0.5) -> int:
        """Block until a signal or a child's death; then stop everything. 0 on Ctrl-C."""
        previous = {
            sig: signal.signal(sig, self._signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        code = 0
        try:
            while not self._stopping:
                for child in self.children:
                    assert child.process is not None
                    status = child.process.poll()
                    if status is not None:
                        self.echo(f"rempart: {child.name} exited with status {status}")
                        self._stopping = True
                        code = 1
                        break
                time.sleep(poll_s)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
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
