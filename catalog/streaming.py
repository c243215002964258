"""Serving a track's audio (HTTP Range, or handed to nginx/Apache) and its cover art.

Who may listen: any signed-in user (the catalog is shared), or anyone holding a signed,
unexpired link for the track (``?token=``, see ``catalog.stream_links``). A signed-in user does
not need a token. Errors are short plain-text sentences: the reader is often an audio element
or an external player, not a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO
from urllib.parse import quote

import httpx
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_safe

from catalog.byte_ranges import ByteRange, RangeNotSatisfiable, byte_range_parse
from catalog.playback import AudioUnavailable, LocatedAudio, track_audio_locate, track_cover_get
from catalog.stream_links import stream_token_problem
from catalog.subsonic.client import SubsonicClient, SubsonicError
from catalog.subsonic_services import RemoteAudio, remote_stream_client, track_remote_locate

CHUNK_BYTES = 64 * 1024
AUDIO_CACHE_CONTROL = "private, max-age=3600"
COVER_CACHE_CONTROL = "private, max-age=86400"


class FileSlice:
    """Bytes ``start`` … ``start + length`` of an open file in bounded chunks; closes the file.

    The response calls ``close`` when the server is done with it, read to the end or not.
    """

    def __init__(self, file: BinaryIO, *, start: int, length: int, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._file, self._start, self._length, self._chunk_bytes = file, start, length, chunk_bytes

    def __iter__(self) -> Iterator[bytes]:
        self._file.seek(self._start)
        remaining = self._length
        while remaining > 0:
            chunk = self._file.read(min(self._chunk_bytes, remaining))
            if not chunk:  # the file shrank under us: stop rather than pad
                return
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._file.close()


def _text(message: str, status: int, **headers: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8", headers=headers)


def _access_denied(request: HttpRequest, track_id: int) -> HttpResponseBase | None:
    """None when the request may stream this track, else the response that says why not."""
    if request.user.is_authenticated:
        return None
    token = request.GET.get("token")
    if token is None:
        if "text/html" in request.headers.get("Accept", ""):
            return redirect_to_login(request.get_full_path())
        return _text("Sign in to listen, or use a signed stream link (…?token=…).", 401)
    problem = stream_token_problem(token, track_id=track_id)
    return _text(problem, 403) if problem else None


def _etag(audio: LocatedAudio) -> str:
    return f'"{audio.size:x}-{int(audio.mtime * 1_000_000):x}"'


def _requested_range(request: HttpRequest, audio: LocatedAudio, etag: str) -> ByteRange | None:
    """The range to send (None: the whole file); raises RangeNotSatisfiable."""
    if_range = request.headers.get("If-Range")
    if if_range and if_range not in (etag, http_date(audio.mtime)):
        return None  # the client's copy is stale: it gets the whole new file
    return byte_range_parse(request.headers.get("Range"), audio.size)


def _handed_to_web_server(audio: LocatedAudio) -> HttpResponse:
    response = HttpResponse(content_type=audio.content_type)
    if settings.STREAM_SENDFILE == "x-accel-redirect":
        response["X-Accel-Redirect"] = settings.STREAM_ACCEL_PREFIX + quote(str(audio.path))
    else:
        response["X-Sendfile"] = quote(str(audio.path))
    return response


def _served_here(request: HttpRequest, audio: LocatedAudio, etag: str) -> HttpResponseBase:
    try:
        wanted = _requested_range(request, audio, etag)
    except RangeNotSatisfiable as error:
        return _text(f"{error} Nothing to send.", 416, **{"Content-Range": f"bytes */{audio.size}"})
    part = wanted or ByteRange(0, audio.size - 1)
    status = 206 if wanted else 200
    response: HttpResponseBase
    if request.method == "HEAD" or audio.size == 0:
        response = HttpResponse(status=status, content_type=audio.content_type)
    else:
        file = audio.path.open("rb")
        response = StreamingHttpResponse(
            FileSlice(file, start=part.start, length=part.length),
            status=status,
            content_type=audio.content_type,
        )
    response["Content-Length"] = str(part.length if audio.size else 0)
    if wanted:
        response["Content-Range"] = wanted.content_range(audio.size)
    return response


# Headers of the server's answer passed on to the player; everything else (cookies, the
# server's own names) stays behind.
PROXIED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
)
PASSED_REQUEST_HEADERS = ("Range", "If-Range")


class ProxiedAudio:
    """The server's audio body in chunks; closes the server's response and the client when done."""

    def __init__(self, client: SubsonicClient, stream: AbstractContextManager[httpx.Response]) -> None:
        self._client, self._stream = client, stream
        self.response = stream.__enter__()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.response.iter_bytes(CHUNK_BYTES)
        except httpx.HTTPError:
            return  # the server went away mid-song: the player sees a short body and retries

    def close(self) -> None:
        try:
            self._stream.__exit__(None, None, None)
        finally:
            self._client.close()


def _proxied(request: HttpRequest, remote: RemoteAudio) -> HttpResponseBase:
    """A Subsonic song through Segue: Range passes through; the server's URL (with its credentials)
    never reaches the browser."""
    headers = {name: request.headers[name] for name in PASSED_REQUEST_HEADERS if name in request.headers}
    client = remote_stream_client(source_id=remote.source_id)
    try:
        stream = client.stream(remote.song_id, headers=headers)
        body = ProxiedAudio(client, stream)
    except SubsonicError as error:
        client.close()
        return _text(f"The music server could not send this track: {error.message}", 502)
    upstream = body.response
    response: HttpResponseBase
    if request.method == "HEAD":
        body.close()
        response = HttpResponse(status=upstream.status_code)
    else:
        response = StreamingHttpResponse(body, status=upstream.status_code)
    for name in PROXIED_HEADERS:
        if name in upstream.headers:
            response[name] = upstream.headers[name]
    if "Content-Type" not in upstream.headers:
        response["Content-Type"] = remote.content_type or "application/octet-stream"
    response.setdefault("Accept-Ranges", "bytes")
    response["Cache-Control"] = AUDIO_CACHE_CONTROL
    return response


@require_safe
def track_stream(request: HttpRequest, track_id: int) -> HttpResponseBase:
    denied = _access_denied(request, track_id)
    if denied is not None:
        return denied
    try:
        audio = track_audio_locate(track_id=track_id)
    except AudioUnavailable as error:
        remote = track_remote_locate(track_id=track_id)
        if remote is None:
            return _text(error.message, 404)
        return _proxied(request, remote)
    etag = _etag(audio)
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(audio.mtime))
    if not_modified is not None:
        return not_modified
    if settings.STREAM_SENDFILE:
        response: HttpResponseBase = _handed_to_web_server(audio)
    else:
        response = _served_here(request, audio, etag)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(audio.mtime)
    response["Cache-Control"] = AUDIO_CACHE_CONTROL
    response["Content-Disposition"] = content_disposition_header(False, audio.path.name) or "inline"
    return response


@require_safe
def track_cover(request: HttpRequest, track_id: int) -> HttpResponseBase:
    denied = _access_denied(request, track_id)
    if denied is not None:
        return denied
    cover = track_cover_get(track_id=track_id)
    if cover is None:
        return _text("This track has no cover art.", 404)
    etag = f'"{hashlib.blake2b(cover, digest_size=12).hexdigest()}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = HttpResponse(b"" if request.method == "HEAD" else cover, content_type="image/jpeg")
    response["Content-Length"] = str(len(cover))
    response["ETag"] = etag
    response["Cache-Control"] = COVER_CACHE_CONTROL
    return response
