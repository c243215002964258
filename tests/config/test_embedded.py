"""The embedded PostgreSQL's settings and the embedded Redis's port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config import embedded


def test_shared_buffers_default_to_a_quarter_of_memory_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDDED_POSTGRES_SHARED_BUFFERS", raising=False)
    megabytes = int(embedded.postgres_settings()["shared_buffers"].removesuffix("MB"))
    assert 128 <= megabytes <= 8192

    monkeypatch.setenv("EMBEDDED_POSTGRES_SHARED_BUFFERS", "512MB")
    assert embedded.postgres_settings() == {"shared_buffers": "512MB"}


def test_settings_go_to_an_included_file_once(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text("max_connections = 100\n")

    embedded.postgres_settings_write(tmp_path, {"shared_buffers": "1GB"})
    embedded.postgres_settings_write(tmp_path, {"shared_buffers": "2GB"})

    main_conf = (tmp_path / "postgresql.conf").read_text()
    assert main_conf.count(embedded.POSTGRES_INCLUDE_LINE) == 1
    assert main_conf.startswith("max_connections = 100\n")
    assert "shared_buffers = '2GB'" in (tmp_path / embedded.POSTGRES_SETTINGS_FILE).read_text()


def test_the_embedded_server_reads_them(db: None) -> None:
    """The server parses segue.conf (pg_file_settings re-reads the files; a running server applies
    shared_buffers at its next start)."""
    from django.db import connection

    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL points at an external server")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setting, error FROM pg_file_settings "
            "WHERE name = 'shared_buffers' AND sourcefile LIKE %s",
            [f"%/{embedded.POSTGRES_SETTINGS_FILE}"],
        )
        rows = cursor.fetchall()
    [(setting, error)] = rows
    assert setting == embedded.postgres_settings()["shared_buffers"]
    # A server started before the value changed reports it as waiting for a restart, not invalid.
    assert error is None or "restart" in error or "could not be applied" in error


def test_the_redis_port_is_chosen_once_without_starting_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGUE_DATA_DIR", str(tmp_path))

    port = embedded.redis_port()

    assert embedded.redis_port() == port
    assert embedded.redis_url(database=15) == f"redis://127.0.0.1:{port}/15"
    assert not embedded.redis_running()


def test_redis_starts_on_its_port_or_moves_off_a_port_another_program_took(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGUE_DATA_DIR", str(tmp_path))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        (tmp_path / "redis").mkdir()
        (tmp_path / "redis" / "port").write_text(str(squatter.getsockname()[1]))
        try:
            url = embedded.redis_ensure(database=3)

            assert url == embedded.redis_url(database=3)
            assert embedded.redis_port() != squatter.getsockname()[1]
            assert embedded.redis_running()
            assert embedded.redis_ensure(database=3) == url  # found running, not started twice
        finally:
            embedded.redis_stop()
    assert not embedded.redis_running()


def test_without_database_url_connections_go_to_the_embedded_servers_socket(db: None) -> None:
    from django.db import connection

    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL points at an external server")
    params = connection.get_connection_params()
    assert params["host"] == embedded.postgres_ensure()
    assert (Path(params["host"]) / ".s.PGSQL.5432").is_socket()
    args, _ = connection.client.settings_to_cmd_args_env(connection.settings_dict, [])
    assert ["-h", params["host"]] == args[args.index("-h") : args.index("-h") + 2]


FIRST_CONNECTIONS_AT_ONCE = """
import threading
from config import embedded

found, errors = set(), []

def first_connection():
    try:
        found.add(embedded.postgres_ensure())
    except Exception as error:
        errors.append(repr(error))

threads = [threading.Thread(target=first_connection) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(found), len(errors), errors[:1])
"""


def test_sixteen_threads_opening_their_first_connections_at_once_all_find_the_server(db: None) -> None:
    """A threaded server's first requests reach the embedded server together (in a fresh process,
    where nothing is started or cached yet): every thread gets the one socket folder, none an error."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL points at an external server")
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", FIRST_CONNECTIONS_AT_ONCE]
    finished = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split()[:2] == ["1", "0"], finished.stdout
