"""A small, typed Subsonic / OpenSubsonic client (httpx; JSON, or XML from servers that only speak XML).

Why not py-opensonic (see README, "Subsonic servers"): it is GPL-3.0; its synchronous API runs an
aiohttp event loop in a helper thread per connection; it gives no bounded response size and no
way to pass a Range header through to ``stream``. What Segue needs is a dozen endpoints.

Authentication, chosen from what the server says (``ping`` + ``getOpenSubsonicExtensions``):
- an OpenSubsonic API key (``apiKey``) where the server offers the ``apiKeyAuthentication``
  extension and the caller has a key;
- token authentication (``t`` = md5(password + salt), ``s`` = salt) on API >= 1.13;
- the legacy hex-encoded password (``p=enc:…``) only on older servers (Supysonic answers 1.12).

Secrets are never put in exceptions, ``repr`` or log lines: errors name the endpoint only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

# httpx logs every request URL at INFO; a Subsonic URL carries credentials.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

CLIENT_NAME = "segue"
# What Segue speaks; servers answer with their own version, which decides the auth.
CLIENT_API_VERSION = "1.16.1"
LEGACY_API_VERSION = "1.12.0"
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
SUBSONIC_NS = "{http://subsonic.org/restapi}"

AuthMode = Literal["api_key", "token", "password"]
QueryList = list[tuple[str, str | int | float | bool | None]]


class SubsonicError(Exception):
    """A failure talking to the server, with a sentence fit for a page (never a credential)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SubsonicAuthError(SubsonicError):
    """Wrong user name, password or API key (Subsonic error codes 40, 41, 42, 43, 44)."""


class SubsonicNotFound(SubsonicError):
    """The item is gone from the server (error code 70)."""


class SubsonicUnreachable(SubsonicError):
    """No answer at all: the connection failed or timed out (try again later, nothing was done)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class ServerInfo:
    api_version: str
    server_type: str
    server_version: str
    open_subsonic: bool
    extensions: tuple[str, ...]

    @property
    def auth_mode_for_password(self) -> AuthMode:
        return "token" if version_tuple(self.api_version) >= (1, 13) else "password"


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(0)
    return tuple(parts)


def auth_mode_choose(info: ServerInfo, credentials: Credentials) -> AuthMode:
    if credentials.api_key:
        if "apiKeyAuthentication" not in info.extensions:
            raise SubsonicError("This server does not accept API keys; use a password.")
        return "api_key"
    if not credentials.password:
        raise SubsonicError("Give a password or an API key.")
    return info.auth_mode_for_password


def _element_to_dict(element: ElementTree.Element) -> dict[str, Any]:
    """XML -> the same shape as Subsonic's JSON (attributes as keys, repeated children as lists)."""
    result: dict[str, Any] = {}
    for key, value in element.attrib.items():
        result[key] = _xml_value(value)
    for child in element:
        name = child.tag.removeprefix(SUBSONIC_NS)
        result.setdefault(name, []).append(_element_to_dict(child))
    if element.text and element.text.strip() and not len(element):
        result["value"] = element.text.strip()
    return result


# Which XML children are lists in Subsonic's JSON, by their parent element: "album" is a list
# inside albumList2 but one object inside subsonic-response (getAlbum).
_LIST_CHILDREN: dict[str, frozenset[str]] = {
    "subsonic-response": frozenset({"openSubsonicExtensions"}),
    "albumList": frozenset({"album"}),
    "albumList2": frozenset({"album"}),
    "album": frozenset({"song"}),
    "artist": frozenset({"album"}),
    "artists": frozenset({"index"}),
    "indexes": frozenset({"index", "child"}),
    "index": frozenset({"artist"}),
    "directory": frozenset({"child"}),
    "playlists": frozenset({"playlist"}),
    "playlist": frozenset({"entry"}),
    "starred": frozenset({"song", "album", "artist"}),
    "starred2": frozenset({"song", "album", "artist"}),
    "searchResult2": frozenset({"song", "album", "artist"}),
    "searchResult3": frozenset({"song", "album", "artist"}),
    "randomSongs": frozenset({"song"}),
    "songsByGenre": frozenset({"song"}),
    "genres": frozenset({"genre"}),
    "song": frozenset({"genres", "artists"}),
    "child": frozenset({"genres", "artists"}),
    "entry": frozenset({"genres", "artists"}),
}


def _xml_value(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if value.lstrip("-").isdigit() and len(value) < 18:
        return int(value)
    return value


def _normalize_xml(body: dict[str, Any], name: str = "subsonic-response") -> dict[str, Any]:
    """XML children come as lists; those that are single objects in the JSON shape are unwrapped."""
    lists = _LIST_CHILDREN.get(name, frozenset())
    out: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(value, list):
            out[key] = value
        elif key in lists:
            out[key] = [_normalize_xml(item, key) if isinstance(item, dict) else item for item in value]
        else:
            out[key] = _normalize_xml(value[0], key) if value and isinstance(value[0], dict) else value
    return out


def parse_response(content: bytes, content_type: str) -> dict[str, Any]:
    """The ``subsonic-response`` body as a dict; SubsonicError for malformed or failed answers."""
    stripped = content.lstrip()
    if stripped.startswith(b"{"):
        try:
            payload = json.loads(content)
            body = payload["subsonic-response"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SubsonicError("The server answered malformed JSON.") from exc
        if not isinstance(body, dict):
            raise SubsonicError("The server answered malformed JSON.")
    elif stripped.startswith(b"<"):
        try:
            root = ElementTree.fromstring(content)  # noqa: S314 - no entities: expat refuses external ones
        except ElementTree.ParseError as exc:
            raise SubsonicError("The server answered malformed XML.") from exc
        if root.tag.removeprefix(SUBSONIC_NS) != "subsonic-response":
            raise SubsonicError("The server's answer is not a Subsonic response.")
        body = _normalize_xml(_element_to_dict(root))
    else:
        raise SubsonicError(f"The server's answer is not a Subsonic response ({content_type or 'no type'}).")
    if body.get("status") != "ok":
        error = body.get("error") or {}
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        if code in (40, 41, 42, 43, 44):
            raise SubsonicAuthError(
                f"The server refused the credentials ({message or 'wrong user or password'}).", code=code
            )
        if code == 70:
            raise SubsonicNotFound(f"Not found on the server ({message}).", code=code)
        raise SubsonicError(f"The server answered an error {code}: {message}".strip(), code=code)
    return body


class SubsonicClient:
    """One server, one account. Use as a context manager (it holds an HTTP connection pool)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        auth_mode: AuthMode | None = None,
        timeout: float = 15.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self.auth_mode: AuthMode | None = auth_mode
        self._max_bytes = max_response_bytes
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False)

    def __repr__(self) -> str:
        return f"SubsonicClient({self.base_url!r}, user={self._credentials.username!r})"

    def __enter__(self) -> SubsonicClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _auth_params(self) -> list[tuple[str, str]]:
        mode = self.auth_mode or "password"
        credentials = self._credentials
        if mode == "api_key":
            return [("apiKey", credentials.api_key), ("v", CLIENT_API_VERSION)]
        params = [("u", credentials.username)]
        if mode == "token":
            salt = secrets.token_hex(8)
            token = hashlib.md5((credentials.password + salt).encode(), usedforsecurity=False).hexdigest()
            return [*params, ("t", token), ("s", salt), ("v", CLIENT_API_VERSION)]
        return [*params, ("p", "enc:" + credentials.password.encode().hex()), ("v", LEGACY_API_VERSION)]

    def _params(self, params: Mapping[str, object] | None, *, with_format: bool = True) -> QueryList:
        query: QueryList = [*self._auth_params(), ("c", CLIENT_NAME)]
        if with_format:
            query.append(("f", "json"))
        for key, value in (params or {}).items():
            if value is None:
                continue
            values = value if isinstance(value, list | tuple) else [value]
            query.extend((key, _param(item)) for item in values)
        return query

    def _url(self, method: str) -> str:
        return f"{self.base_url}/rest/{method}.view"

    def call(self, method: str, params: Mapping[str, object] | None = None) -> dict[str, Any]:
        try:
            with self._http.stream("GET", self._url(method), params=self._params(params)) as response:
                if response.status_code in (401, 403):
                    raise SubsonicAuthError("The server refused the credentials.")
                if response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
                    ("application/json", "text/xml", "application/xml")
                ):
                    raise SubsonicError(f"The server answered HTTP {response.status_code} to {method}.")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise SubsonicError(
                            f"The server's answer to {method} is larger than {self._max_bytes:,} bytes."
                        )
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "")
        except httpx.TimeoutException:
            raise SubsonicUnreachable(f"The server did not answer {method} in time.") from None
        except httpx.HTTPError as exc:
            raise SubsonicUnreachable(f"The server cannot be reached ({type(exc).__name__}).") from None
        return parse_response(b"".join(chunks), content_type)

    # --- endpoints -----------------------------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        return self.call("ping")

    def connect(self) -> ServerInfo:
        """Find what the server speaks, choose the auth mode and check the credentials."""
        version, server_type, server_version, open_subsonic = self._unauthenticated_ping()
        extensions: tuple[str, ...] = ()
        if open_subsonic:
            extensions = self._extensions()
        info = ServerInfo(version, server_type, server_version, open_subsonic, extensions)
        self.auth_mode = auth_mode_choose(info, self._credentials)
        self.ping()
        return info

    def _unauthenticated_get(self, method: str) -> dict[str, Any] | None:
        try:
            response = self._http.get(
                self._url(method), params=[("f", "json"), ("c", CLIENT_NAME), ("v", LEGACY_API_VERSION)]
            )
        except httpx.TimeoutException:
            raise SubsonicUnreachable("The server did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise SubsonicUnreachable(f"The server cannot be reached ({type(exc).__name__}).") from None
        content = response.content[: self._max_bytes]
        try:
            return parse_response(content, response.headers.get("content-type", ""))
        except SubsonicError:
            return _loose_body(content)

    def _unauthenticated_ping(self) -> tuple[str, str, str, bool]:
        """The version from a ping without credentials (servers answer it, with an auth error)."""
        body = self._unauthenticated_get("ping")
        if body is None or not body.get("version"):
            raise SubsonicError("This address does not answer like a Subsonic server.")
        return (
            str(body.get("version", "")),
            str(body.get("type", "")),
            str(body.get("serverVersion", "")),
            bool(body.get("openSubsonic")),
        )

    def _extensions(self) -> tuple[str, ...]:
        # OpenSubsonic: getOpenSubsonicExtensions answers without authentication.
        body = self._unauthenticated_get("getOpenSubsonicExtensions") or {}
        found = body.get("openSubsonicExtensions") or []
        return tuple(str(item.get("name")) for item in found if isinstance(item, dict))

    def albums(
        self, *, page_size: int = 100, offset: int = 0, list_type: str = "alphabeticalByName"
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every album (alphabetical by name, or ``frequent``…), with its offset, page by page."""
        while True:
            body = self.call("getAlbumList2", {"type": list_type, "size": page_size, "offset": offset})
            page = (body.get("albumList2") or {}).get("album") or []
            for index, album in enumerate(page):
                yield offset + index, album
            if len(page) < page_size:
                return
            offset += page_size

    def album(self, album_id: str) -> dict[str, Any]:
        return dict(self.call("getAlbum", {"id": album_id}).get("album") or {})

    def song(self, song_id: str) -> dict[str, Any]:
        return dict(self.call("getSong", {"id": song_id}).get("song") or {})

    def cover_art(self, cover_id: str, *, size: int = 300, max_bytes: int = 4 * 1024 * 1024) -> bytes | None:
        """The image bytes, or None when the server has none (bounded)."""
        try:
            with self.stream_method("getCoverArt", {"id": cover_id, "size": size}) as response:
                if response.status_code != 200:
                    return None
                chunks, total = [], 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        return None
                    chunks.append(chunk)
                return b"".join(chunks)
        except SubsonicNotFound:
            return None

    def starred_songs(self) -> list[dict[str, Any]]:
        return list((self.call("getStarred2").get("starred2") or {}).get("song") or [])

    def playlists(self) -> list[dict[str, Any]]:
        return list((self.call("getPlaylists").get("playlists") or {}).get("playlist") or [])

    def playlist(self, playlist_id: str) -> dict[str, Any]:
        return dict(self.call("getPlaylist", {"id": playlist_id}).get("playlist") or {})

    def playlist_create(self, *, name: str, song_ids: Sequence[str]) -> str:
        """Create a playlist; its id (older servers answer without the playlist: found by name)."""
        body = self.call("createPlaylist", {"name": name, "songId": list(song_ids)})
        created = body.get("playlist")
        if isinstance(created, dict) and created.get("id"):
            return str(created["id"])
        matching = [item for item in self.playlists() if item.get("name") == name]
        if not matching:
            raise SubsonicError("The server did not keep the new playlist.")
        return str(max(matching, key=lambda item: str(item.get("created", "")))["id"])

    def playlist_replace(self, *, playlist_id: str, name: str, song_ids: Sequence[str]) -> None:
        """Make the playlist hold exactly ``song_ids`` (createPlaylist with playlistId replaces)."""
        self.call("createPlaylist", {"playlistId": playlist_id, "songId": list(song_ids)})
        self.call("updatePlaylist", {"playlistId": playlist_id, "name": name})

    def playlist_delete(self, playlist_id: str) -> None:
        self.call("deletePlaylist", {"id": playlist_id})

    def scrobble(self, *, song_id: str, time_ms: int, submission: bool = True) -> None:
        self.call("scrobble", {"id": song_id, "time": time_ms, "submission": submission})

    def stream(
        self, song_id: str, *, headers: Mapping[str, str] | None = None, time_offset: int | None = None
    ) -> AbstractContextManager[httpx.Response]:
        """The raw audio response (status, headers, ``iter_bytes``); Range and If-Range pass through."""
        return self.stream_method("stream", {"id": song_id, "timeOffset": time_offset}, headers=headers)

    @contextmanager
    def stream_method(
        self, method: str, params: Mapping[str, object], *, headers: Mapping[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        try:
            # No local holds the request: its URL carries the credentials (error reports show locals).
            response = self._http.send(
                self._http.build_request(
                    "GET",
                    self._url(method),
                    params=self._params(params, with_format=False),
                    headers=dict(headers or {}),
                ),
                stream=True,
            )
        except httpx.TimeoutException:
            raise SubsonicUnreachable("The server did not answer stream in time.") from None
        except httpx.HTTPError as exc:
            raise SubsonicUnreachable(f"The server cannot be reached ({type(exc).__name__}).") from None
        try:
            content_type = response.headers.get("content-type", "")
            if content_type.startswith(("application/json", "text/xml", "application/xml")):
                response.read()
                parse_response(response.content[: self._max_bytes], content_type)
                raise SubsonicError("The server answered no audio.")
            if response.status_code >= 400 and response.status_code != 416:
                raise SubsonicError(f"The server answered HTTP {response.status_code} to stream.")
            yield response
        finally:
            response.close()

    def stream_excerpt(self, song_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The first ``max_bytes`` of a song (a Range request; read bounded if Range is ignored)."""
        with self.stream(song_id, headers={"Range": f"bytes=0-{max_bytes - 1}"}) as response:
            chunks, size = [], 0
            try:
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= max_bytes:
                        break
            except httpx.HTTPError:
                raise SubsonicError("The server stopped sending the song.") from None
            return b"".join(chunks)[:max_bytes], response.headers.get("content-type", "")


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _loose_body(content: bytes) -> dict[str, Any] | None:
    """A failed ping's body (unauthenticated probes are answered with an error that has the version)."""
    stripped = content.lstrip()
    try:
        if stripped.startswith(b"{"):
            body = json.loads(content).get("subsonic-response")
            return body if isinstance(body, dict) else None
        if stripped.startswith(b"<"):
            return _normalize_xml(_element_to_dict(ElementTree.fromstring(content)))  # noqa: S314
    except (ValueError, ElementTree.ParseError, AttributeError):
        return None
    return None
