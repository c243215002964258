"""`make stop` finds a running `make run` by its pid file and stops it the way Ctrl-C does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from config import run

# A stand-in supervisor: its command line names config.run, as the real one's does. Each says
# "ready" once started (and, for the stubborn one, once its handler is in place).
SLEEPER = "import time; print('ready', flush=True); time.sleep(60)"
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)

Spawn = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    processes: list[subprocess.Popen[str]] = []

    def start(code: str, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
        processes.append(process)
        # Until it has started, /proc shows the forking parent's command line.
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()


def _pid_file(tmp_path: Path, pid: int) -> Path:
    path = tmp_path / "run.pid"
    path.write_text(f"{pid}\n")
    return path


def test_a_live_supervisor_is_found_by_its_pid_file(tmp_path, spawn):
    supervisor = spawn(SLEEPER, "config.run")

    assert run.supervisor_pid(_pid_file(tmp_path, supervisor.pid)) == supervisor.pid


def test_a_missing_file_a_dead_pid_or_a_reused_pid_is_no_supervisor(tmp_path, spawn):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    other_program = spawn(SLEEPER)

    assert run.supervisor_pid(tmp_path / "run.pid") is None
    assert run.supervisor_pid(_pid_file(tmp_path, int(dead.stdout))) is None
    assert run.supervisor_pid(_pid_file(tmp_path, other_program.pid)) is None
    (tmp_path / "garbled").write_text("not a pid\n")
    assert run.supervisor_pid(tmp_path / "garbled") is None


def test_a_stale_pid_reused_by_the_stopping_process_itself_is_no_supervisor(tmp_path, spawn, monkeypatch):
    stopping = spawn(SLEEPER, "config.run", "--stop")
    monkeypatch.setattr(run.os, "getpid", lambda: stopping.pid)  # seen from inside that process

    assert run.supervisor_pid(_pid_file(tmp_path, stopping.pid)) is None


def test_stop_sends_sigterm_and_waits_until_the_supervisor_is_gone(tmp_path, spawn):
    supervisor = spawn(SLEEPER, "config.run")

    assert run.supervisor_stop(_pid_file(tmp_path, supervisor.pid), timeout=10)
    assert supervisor.wait(timeout=1) == -15


def test_stop_reports_a_supervisor_that_does_not_exit(tmp_path, spawn, capsys):
    stubborn = spawn(IGNORES_SIGTERM, "config.run")
    path = _pid_file(tmp_path, stubborn.pid)

    assert not run.supervisor_stop(path, timeout=1)
    assert stubborn.poll() is None
    assert f"pid {stubborn.pid} did not stop" in capsys.readouterr().out


def test_a_supervisor_removes_only_its_own_pid_file(tmp_path):
    path = tmp_path / "run.pid"
    run.pid_file_write(path)
    assert path.read_text() == f"{os.getpid()}\n"
    run.pid_file_remove(path)
    assert not path.exists()

    _pid_file(tmp_path, os.getpid() + 1)
    run.pid_file_remove(path)
    assert path.exists()


def test_a_second_run_refuses_to_start_beside_a_running_one(tmp_path, spawn, monkeypatch, capsys):
    supervisor = spawn(SLEEPER, "config.run")
    path = _pid_file(tmp_path, supervisor.pid)
    monkeypatch.setattr(run, "pid_file", lambda: path)
    monkeypatch.setattr(run, "services_start", pytest.fail)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", os.environ.get("XDG_RUNTIME_DIR", str(tmp_path)))

    assert run.run() == 1
    assert f"already running (pid {supervisor.pid})" in capsys.readouterr().out
    assert path.read_text() == f"{supervisor.pid}\n"
