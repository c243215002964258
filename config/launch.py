"""`make run` / `make dev` / `make stop`: the steps around honcho, which runs the Procfile.

    python -m config.launch          # embedded services, migrate, demo data, then honcho (Procfile)
    python -m config.launch --dev    # the same with Django's autoreloading debug server (`make dev`)
    SEGUE_MUSIC_DIR=/music python -m config.launch   # ... and add that folder as a library, scan it
    python -m config.launch --stop   # stop a running `make run` (from any terminal) and the services
    python -m config.launch web      # the Procfile's web process: gunicorn, or runserver for --dev

Steps: start the embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL point elsewhere (their
URLs are passed on to every process), migrate, collect static files, load the demo catalog and
users (with SEGUE_MUSIC_DIR, add that folder as a library and queue its scan), then hand the
processes to honcho: web (gunicorn with DEBUG off and static files from WhiteNoise; with --dev,
runserver with DEBUG on), the Celery worker, the library worker and beat, as the `Procfile` names
them. honcho prefixes their output, stops them all on Ctrl-C/SIGTERM or when one exits; the
launcher then stops the embedded services *this run* started (services already running, for
another terminal or the test suite, are left alone).

A running launcher records its pid in `.data/run.pid`; `--stop` sends it SIGTERM (which it passes
to honcho, the same clean shutdown as Ctrl-C), waits for it, then stops any embedded service still
running.

No Django import here: Django runs in the processes honcho starts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = BASE_DIR / "Procfile"
DEFAULT_SETTINGS = "config.settings.dev"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"
# gunicorn: threads keep a few long audio streams from holding every worker.
DEFAULT_WEB_WORKERS = "2"
DEFAULT_WEB_THREADS = "8"
# honcho gives its processes 5 s after SIGTERM; this covers that, a slow Celery warm shutdown and
# the services' own shutdown.
STOP_TIMEOUT_SECONDS = 70.0
POLL_SECONDS = 0.5


def say(message: str) -> None:
    print(f"segue  | {message}", flush=True)


# --- embedded services -------------------------------------------------------------------


@dataclass
class StartedServices:
    """What this run started itself, and so must stop on the way out."""

    postgres: bool = False
    redis: bool = False


def services_start(started: StartedServices) -> None:
    """Export DATABASE_URL/REDIS_URL for the processes, starting embedded servers if unset.

    `started` is filled in *before* each start so an interrupted start is still cleaned up.
    """
    if not os.environ.get("DATABASE_URL"):
        started.postgres = not embedded.postgres_running()
        say("starting embedded PostgreSQL..." if started.postgres else "using running embedded PostgreSQL")
        embedded.postgres_ensure()
        os.environ["DATABASE_URL"] = embedded.postgres_url()
    if not os.environ.get("REDIS_URL"):
        started.redis = not embedded.redis_running()
        say("starting embedded Redis..." if started.redis else "using running embedded Redis")
        os.environ["REDIS_URL"] = embedded.redis_ensure()


def services_stop(started: StartedServices | None = None) -> None:
    """Stop the embedded services: all running ones, or only those this run started."""
    if (started is None or started.redis) and embedded.redis_running():
        say("stopping embedded Redis")
        embedded.redis_stop()
    if (started is None or started.postgres) and embedded.postgres_running():
        say("stopping embedded PostgreSQL")
        embedded.postgres_stop()


# --- the launcher's pid file ---------------------------------------------------------------


def pid_file() -> Path:
    return embedded.data_dir() / "run.pid"


def pid_file_write(path: Path) -> None:
    path.write_text(f"{os.getpid()}\n")


def pid_file_remove(path: Path) -> None:
    # Only our own: should two runs race at start, the loser must not remove the winner's file.
    with contextlib.suppress(FileNotFoundError, ValueError):
        if int(path.read_text()) == os.getpid():
            path.unlink()


def launcher_pid(path: Path) -> int | None:
    """The pid in the file if that process is alive and is another `config.launch` (a stale
    file's pid may have been reused, even by this very `--stop`)."""
    try:
        pid = int(path.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid != os.getpid() and b"config.launch" in cmdline else None


def launcher_stop(path: Path, *, timeout: float) -> bool:
    """SIGTERM a running launcher and wait for it to exit; False if it was still running."""
    pid = launcher_pid(path)
    if pid is None:
        return True
    say(f"stopping the running Segue (pid {pid})")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if launcher_pid(path) is None:
            return True
        time.sleep(POLL_SECONDS)
    say(f"pid {pid} did not stop in {timeout:.0f} s")
    return False


# --- the steps and the processes ---------------------------------------------------------------


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def prepare_steps(music_dir: str = "") -> list[tuple[str, list[str]]]:
    steps = [
        ("migrate", manage("migrate", "--noinput")),
        ("static", manage("collectstatic", "--noinput", "--verbosity", "0")),
        ("demo", manage("bootstrap_demo")),
    ]
    if music_dir:
        # Adds the folder as a library if new and queues its scan for the library worker; a
        # missing folder stops the run here with the reason.
        steps.append(("music", manage("scan_library", music_dir, "--background")))
    return steps


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


def honcho_command() -> list[str]:
    return [sys.executable, "-m", "honcho", "--no-colour", "start", "-f", str(PROCFILE), "-d", str(BASE_DIR)]


def metrics_files_clear() -> None:
    """Drop the last run's per-process metric files: counters restart with the processes."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", str(embedded.data_dir() / "prometheus")))
    for path in folder.glob("*.db"):
        path.unlink(missing_ok=True)


def load_dotenv() -> None:
    """Read .env like the settings do, so DATABASE_URL/REDIS_URL set there are honoured here."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def environment_prepare(*, dev: bool) -> None:
    """What every step and process inherits."""
    os.chdir(BASE_DIR)
    load_dotenv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    # `make run` is what people run on a home server: never Django's debug pages there. The WSGI
    # entry point defaults to production settings; the launcher's own (dev: console e-mail, plain
    # HTTP cookies) are passed on, with DEBUG forced off. `make dev` turns it on.
    os.environ["DEBUG"] = "true" if dev else "false"
    os.environ["SEGUE_WEB_SERVER"] = "runserver" if dev else "gunicorn"
    os.environ["SEGUE_DATA_DIR"] = str(embedded.data_dir())
    # As in the settings: keeps pgserver's runtime folder (its lock file) the same for all processes.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded.data_dir() / "run"))
    os.environ["PYTHONUNBUFFERED"] = "1"
    # The Procfile says `python`: this interpreter (the virtualenv's), whatever PATH had first.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


class _Stop(Exception):
    """SIGTERM (from `make stop`) during the preparation steps."""


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise _Stop


def run(*, dev: bool = False) -> int:
    environment_prepare(dev=dev)
    running = pid_file()
    if (other := launcher_pid(running)) is not None:
        say(f"Segue is already running (pid {other}); `make stop` stops it")
        return 1
    host = os.environ.get("SEGUE_HOST", DEFAULT_HOST)
    port = os.environ.get("SEGUE_PORT", DEFAULT_PORT)
    metrics_files_clear()
    started = StartedServices()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        pid_file_write(running)
        services_start(started)
        for name, command in prepare_steps(os.environ.get("SEGUE_MUSIC_DIR", "").strip()):
            say(f"{name}: {' '.join(command[1:])}")
            code = subprocess.call(command)
            if code != 0:
                say(f"{name} failed with exit code {code}")
                return 1
        say(f"Segue starts at http://{host}:{port}/   (Ctrl-C stops web, workers, beat and services)")
        return honcho_run()
    except (KeyboardInterrupt, _Stop):
        say("interrupted; shutting down")
        return 0
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        services_stop(started)
        pid_file_remove(running)
        say("stopped")


def honcho_run() -> int:
    """Run honcho until it exits; Ctrl-C reaches it from the terminal, SIGTERM is passed on."""
    honcho = subprocess.Popen(honcho_command())
    requested: list[int] = []

    def note_ctrl_c(signum: int, _frame: object) -> None:
        # The terminal sends Ctrl-C to honcho too (same process group); honcho stops its processes.
        requested.append(signum)

    def forward(signum: int, _frame: object) -> None:
        requested.append(signum)
        with contextlib.suppress(ProcessLookupError):
            honcho.send_signal(signum)

    signal.signal(signal.SIGINT, note_ctrl_c)
    signal.signal(signal.SIGTERM, forward)
    code = honcho.wait()
    if requested:
        return 0
    # A process exited on its own and honcho stopped the others: that is a failed run.
    say(f"a process exited on its own (honcho exit code {code}); everything is stopped")
    return code or 1


def web_exec() -> None:
    """The Procfile's web process: replace this process by the chosen server."""
    host = os.environ.get("SEGUE_HOST", DEFAULT_HOST)
    port = os.environ.get("SEGUE_PORT", DEFAULT_PORT)
    command = web_command(host, port, dev=os.environ.get("SEGUE_WEB_SERVER") == "runserver")
    os.chdir(BASE_DIR)
    os.execv(command[0], command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.launch", description="Run Segue (web, workers, beat) with its services."
    )
    parser.add_argument(
        "process",
        nargs="?",
        choices=["web"],
        help="run one Procfile process in the foreground (honcho calls this)",
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
    if args.process == "web":
        web_exec()
    if args.stop:
        load_dotenv()
        os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded.data_dir() / "run"))
        if not launcher_stop(pid_file(), timeout=STOP_TIMEOUT_SECONDS):
            return 1
        services_stop()
        return 0
    return run(dev=args.dev)


if __name__ == "__main__":
    sys.exit(main())
