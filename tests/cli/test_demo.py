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


def _demo(tmp_path: Path, web: int, opc: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "REMPART_DATA_DIR": str(tmp_path),
        "REMPART_WEB_PORT": str(web),
        "REMPART_OPCUA_PORT": str(opc),
    }
    env.pop("REMPART_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rempart", "demo", "--no-browser-hint"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _alive(pids: set[int]) -> list[int]:
    return [
        pid
        for pid in pids
        if Path(f"/proc/{pid}").exists()
        and "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
    ]


@pytest.mark.slow
def test_sigterm_while_the_services_start_stops_every_child(tmp_path: Path) -> None:
    # The demo waits up to 60 s for the web server; a SIGTERM then (systemd, `timeout`) used
    # to kill the demo alone and leave the twin and the ingester running.
    proc = _demo(tmp_path, _free_port(), _free_port())
    try:
        assert proc.stdout is not None
        output: list[str] = []
        for line in proc.stdout:
            output.append(line)
            if "started web server" in line:
                break
        children = _children_of(proc.pid)
        assert len(children) >= 3, "".join(output)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, "".join(output) + rest
        time.sleep(0.5)
        assert not _alive(children), "".join(output) + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_service_that_dies_at_start_stops_the_demo_at_once(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        web, opc = int(busy.getsockname()[1]), _free_port()
        proc = _demo(tmp_path, web, opc)
        try:
            started = time.monotonic()
            rest, _ = proc.communicate(timeout=120)
            assert proc.returncode == 1, rest
            assert "web server exited with status" in rest
            assert "did not answer within 60 s" not in rest
            assert time.monotonic() - started < 55
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    time.sleep(0.5)
    left = []  # the twin and the ingester name the OPC UA port on their command lines
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive({int(entry.name)}):
            try:
                argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "rempart" in argv and (f":{opc}" in argv or f"--port {opc}" in argv):
                left.append(argv)
    assert not left, left
