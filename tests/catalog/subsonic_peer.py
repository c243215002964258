"""A real Subsonic server for the tests: Supysonic (AGPL) in its own virtualenv, as a separate process.

Supysonic is never imported: it is installed into ``.data/supysonic-venv`` (``make supysonic-peer``,
or here on first use) and driven through its command-line tools and its HTTP API only.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.catalog.listen_recorder import ListenRecorder

REPO = Path(__file__).resolve().parents[2]
PEER_VENV = REPO / ".data" / "supysonic-venv"
PEER_USER = "alice"
PEER_PASSWORD = "peer-secret-pass-9"
SECOND_USER = "bob"
SECOND_PASSWORD = "bobs-other-pass-7"


class PeerUnavailable(Exception):
    pass


def peer_install() -> Path:
    """The peer's virtualenv bin folder, installed when missing (idempotent)."""
    bin_dir = PEER_VENV / "bin"
    if (bin_dir / "supysonic-server").exists() and (bin_dir / "waitress-serve").exists():
        return bin_dir
    try:
        if not (bin_dir / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "--quiet", "supysonic", "waitress"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise PeerUnavailable(f"Supysonic could not be installed into {PEER_VENV}: {exc}") from exc
    return bin_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SupysonicPeer:
    workdir: Path
    music: Path
    bin_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # Supysonic forwards scrobbles to ListenBrainz; pointed here, what it received can be read.
    listens: ListenRecorder = field(default_factory=ListenRecorder, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.bin_dir / "supysonic-cli"), *args],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOME": str(self.workdir)},
        )
        if result.returncode != 0:
            raise PeerUnavailable(f"supysonic-cli {args[0]} failed: {result.stderr[-2000:]}")
        return result.stdout

    def setup(self) -> None:
        (self.workdir / "supysonic.conf").write_text(
            "[base]\n"
            f"database_uri = sqlite:///{self.workdir / 'supysonic.db'}\n"
            "[webapp]\n"
            f"cache_dir = {self.workdir / 'cache'}\n"
            "log_level = WARNING\n"
            "mount_webui = no\n"
            "[daemon]\n"
            f"socket = {self.workdir / 'daemon.sock'}\n"
            "run_watcher = no\n"
            "[listenbrainz]\n"
            f"api_url = {self.listens.url}\n"
        )
        self.cli("user", "add", PEER_USER, "-p", PEER_PASSWORD)
        self.cli("user", "add", SECOND_USER, "-p", SECOND_PASSWORD)
        self.cli("folder", "add", "music", str(self.music))
        self.rescan()
        self._listenbrainz_token_set()

    def _listenbrainz_token_set(self) -> None:
        """Give every server user a ListenBrainz token, so the server forwards their scrobbles."""
        with sqlite3.connect(self.workdir / "supysonic.db") as database:
            database.execute("UPDATE user SET listenbrainz_session = 'peer-token', listenbrainz_status = 1")

    def rescan(self) -> None:
        self.cli("folder", "scan", "-f", "music")

    def start(self) -> None:
        self.port = self.port or free_port()  # a restart keeps its address
        self.process = subprocess.Popen(
            [
                str(self.bin_dir / "supysonic-server"),
                "-S",
                "waitress",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "server.log").open("ab"),
            env={**os.environ, "HOME": str(self.workdir)},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PeerUnavailable("supysonic-server exited: " + (self.workdir / "server.log").read_text())
            try:
                httpx.get(f"{self.base_url}/rest/ping.view", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise PeerUnavailable("supysonic-server did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the server and the ListenBrainz recorder (the end of the fixture)."""
        self.stop()
        self.listens.stop()

    def api(
        self, method: str, *, user: str = PEER_USER, password: str = PEER_PASSWORD, **params: object
    ) -> dict:
        """Ask the server directly (legacy auth, JSON): the tests' own view of what it holds."""
        query: list[tuple[str, str | int | float | bool | None]] = [
            ("u", user),
            ("p", "enc:" + password.encode().hex()),
            ("v", "1.12.0"),
            ("c", "segue-tests"),
            ("f", "json"),
        ]
        for key, value in params.items():
            values = value if isinstance(value, list) else [value]
            query.extend((key, str(item)) for item in values)
        response = httpx.get(f"{self.base_url}/rest/{method}.view", params=query, timeout=10)
        response.raise_for_status()
        body = response.json()["subsonic-response"]
        assert body["status"] == "ok", body
        return body


def peer_create(workdir: Path, music: Path) -> SupysonicPeer:
    if shutil.which("ffmpeg") is None and not music.exists():
        raise PeerUnavailable("no music")
    bin_dir = peer_install()
    peer = SupysonicPeer(workdir=workdir, music=music, bin_dir=bin_dir)
    peer.setup()
    peer.start()
    return peer
