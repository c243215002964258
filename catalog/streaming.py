"""Serving a track's audio (HTTP Range, or handed to nginx/Apache) and its cover art.

Who may listen: any signed-in user (the catalog is shared), or anyone holding a signed,
unexpired link for the track (``?token=``, see ``catalog.stream_links``). A signed-in user does
not need a token. Errors are short plain-text sentences: the reader is often an audio element
or an external player, not a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_safe

from catalog.byte_ranges import ByteRange, RangeNotSatisfiable, byte_range_parse
from catalog.playback import AudioUnavailable, LocatedAudio, track_audio_locate, track_cover_get
from catalog.stream_links import stream_token_problem

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


@require_safe
def track_stream(request: HttpRequest, track_id: int) -> HttpResponseBase:
    denied = _access_denied(request, track_id)
    if denied is not None:
        return denied
    try:
        audio = track_audio_locate(track_id=track_id)
    except AudioUnavailable as error:
        return _text(error.message, 404)
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
