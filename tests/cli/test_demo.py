"""`rempart demo` starts what exists, answers on its URL, and Ctrl-C stops every process."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
            found |= _children_of(int(entry.name))
    return found


@pytest.mark.slow
def test_demo_runs_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    web, opc = _free_port(), _free_port()
    env = {
        **os.environ,
        "REMPART_DATA_DIR": str(tmp_path),
        "REMPART_WEB_PORT": str(web),
        "REMPART_OPCUA_PORT": str(opc),
    }
    env.pop("REMPART_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rempart", "demo", "--no-browser-hint"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "rempart is running at" in line:
                break
        assert any("rempart is running at" in line for line in output), "".join(output)
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/health", timeout=10) as r:
            assert r.status == 200
        children = _children_of(proc.pid)
        assert children, "the demo started no process"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        output.append(rest)
        assert proc.returncode == 0, "".join(output)
        time.sleep(0.5)
        alive = [
            pid
            for pid in children
            if Path(f"/proc/{pid}").exists()
            and "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
        ]
        assert not alive, f"processes left running: {alive}"
        assert (tmp_path / "rempart.sqlite3").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
