"""`make run`'s launcher: the Procfile it hands to honcho, and `make stop`, which finds a running
launcher by its pid file and stops it the way Ctrl-C does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from honcho.environ import parse_procfile

from config import launch

# A stand-in launcher: its command line names config.launch, as the real one's does. Each says
# "ready" once started (and, for the stubborn one, once its handler is in place).
SLEEPER = "import time; print('ready', flush=True); time.sleep(60)"
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)

Spawn = Callable[..., "subprocess.Popen[str]"]
EXPORTED = ["DEBUG", "SEGUE_WEB_SERVER", "SEGUE_DATA_DIR", "XDG_RUNTIME_DIR", "PYTHONUNBUFFERED", "PATH"]
ROOT = Path(__file__).resolve().parents[2]


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


def test_a_live_launcher_is_found_by_its_pid_file(tmp_path, spawn):
    launcher = spawn(SLEEPER, "config.launch")

    assert launch.launcher_pid(_pid_file(tmp_path, launcher.pid)) == launcher.pid


def test_a_missing_file_a_dead_pid_or_a_reused_pid_is_no_launcher(tmp_path, spawn):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    other_program = spawn(SLEEPER)

    assert launch.launcher_pid(tmp_path / "run.pid") is None
    assert launch.launcher_pid(_pid_file(tmp_path, int(dead.stdout))) is None
    assert launch.launcher_pid(_pid_file(tmp_path, other_program.pid)) is None
    (tmp_path / "garbled").write_text("not a pid\n")
    assert launch.launcher_pid(tmp_path / "garbled") is None


def test_a_stale_pid_reused_by_the_stopping_process_itself_is_no_launcher(tmp_path, spawn, monkeypatch):
    stopping = spawn(SLEEPER, "config.launch", "--stop")
    monkeypatch.setattr(launch.os, "getpid", lambda: stopping.pid)  # seen from inside that process

    assert launch.launcher_pid(_pid_file(tmp_path, stopping.pid)) is None


def test_stop_sends_sigterm_and_waits_until_the_launcher_is_gone(tmp_path, spawn):
    launcher = spawn(SLEEPER, "config.launch")

    assert launch.launcher_stop(_pid_file(tmp_path, launcher.pid), timeout=10)
    assert launcher.wait(timeout=1) == -15


def test_stop_reports_a_launcher_that_does_not_exit(tmp_path, spawn, capsys):
    stubborn = spawn(IGNORES_SIGTERM, "config.launch")
    path = _pid_file(tmp_path, stubborn.pid)

    assert not launch.launcher_stop(path, timeout=1)
    assert stubborn.poll() is None
    assert f"pid {stubborn.pid} did not stop" in capsys.readouterr().out


def test_a_launcher_removes_only_its_own_pid_file(tmp_path):
    path = tmp_path / "run.pid"
    launch.pid_file_write(path)
    assert path.read_text() == f"{os.getpid()}\n"
    launch.pid_file_remove(path)
    assert not path.exists()

    _pid_file(tmp_path, os.getpid() + 1)
    launch.pid_file_remove(path)
    assert path.exists()


def test_a_second_run_refuses_to_start_beside_a_running_one(tmp_path, spawn, monkeypatch, capsys):
    launcher = spawn(SLEEPER, "config.launch")
    path = _pid_file(tmp_path, launcher.pid)
    monkeypatch.setattr(launch, "pid_file", lambda: path)
    monkeypatch.setattr(launch, "services_start", pytest.fail)
    monkeypatch.chdir(tmp_path)  # run() moves to the repository; this moves back afterwards
    for name in EXPORTED:  # ... and restores what run() exports for the processes
        monkeypatch.setenv(name, os.environ.get(name, ""))

    assert launch.run() == 1
    assert f"already running (pid {launcher.pid})" in capsys.readouterr().out
    assert path.read_text() == f"{launcher.pid}\n"


def test_the_procfile_names_web_both_workers_and_beat_for_honcho() -> None:
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes

    assert list(processes) == ["web", "worker", "library", "beat"]
    assert processes["web"] == "python -m config.launch web"
    assert "--queues=library,analysis --concurrency=1" in processes["library"]
    assert "--queues" not in processes["worker"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in processes["beat"]
    assert launch.honcho_command()[1:4] == ["-m", "honcho", "--no-colour"]


def test_the_web_process_is_gunicorn_for_run_and_the_reloading_server_for_dev() -> None:
    served = launch.web_command("127.0.0.1", "8000", dev=False)
    assert served[1:4] == ["-m", "gunicorn", "config.wsgi:application"]
    assert served[served.index("--bind") + 1] == "127.0.0.1:8000"

    assert launch.web_command("0.0.0.0", "9000", dev=True)[1:] == ["manage.py", "runserver", "0.0.0.0:9000"]


def test_the_music_folder_is_added_and_scanned_after_the_demo_data() -> None:
    assert [name for name, _ in launch.prepare_steps()] == ["migrate", "static", "demo"]
    steps = dict(launch.prepare_steps("/srv/music"))
    assert steps["music"][1:] == ["manage.py", "scan_library", "/srv/music", "--background"]


@pytest.mark.parametrize("command", [["manage.py", "check"], ["-c", "import config.settings.production"]])
def test_settings_and_checks_start_no_embedded_server(tmp_path: Path, command: list[str]) -> None:
    """`mypy .` and `manage.py check` import the settings: that must not start PostgreSQL or Redis."""
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"SEGUE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env |= {"SECRET_KEY": "a-production-key-for-this-test"}

    subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, capture_output=True)

    assert not (tmp_path / "postgres").exists()
    assert not (tmp_path / "redis" / "redis.pid").exists()
