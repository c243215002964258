"""Playlists REST API: create from a prompt (202 + status URL), status, read, refine, edit the
intent, settings, delete, export. Thin views over the playlist services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ_WRITE
from accounts.requests import request_user
from catalog.selectors import subsonic_link_get
from catalog.serializers import (
    DeletePushedQuerySerializer,
    remote_deletion_response,
    remote_deletion_responses,
)
from config.api_fields import StrictBooleanField, StrictCharField
from config.api_schema import paginated
from playlists import selectors, services
from playlists.exporting import EXPORT_FORMATS, AudioLocations
from playlists.models import NAME_MAX_LENGTH, PROMPT_MAX_LENGTH, SIZE_MAX, SIZE_MIN, Playlist, RefreshSchedule
from playlists.serializers import (
    PlaylistDetailSerializer,
    PlaylistSerializer,
    VersionChangeSerializer,
    VersionStatusSerializer,
)
from playlists.views import export_response

ERROR_RESPONSE = OpenApiResponse(description="Bad input: field name → list of messages, or `detail`.")
NOT_FOUND = OpenApiResponse(description="No such playlist (or not yours).")
# ?version=N as selectors.version_number_param reads it: 1 to 9 digits (a longer one is a 400).
VERSION_PARAMETER = OpenApiParameter(
    "version",
    {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    OpenApiParameter.QUERY,
    required=False,
    description="A version number (1, 2, 3…); the newest ready version when left out.",
)


def _accepted(request: Request, playlist: Playlist) -> Response:
    latest = selectors.version_latest(playlist=playlist)
    body: dict[str, Any] = {
        "id": playlist.pk,
        "version": latest.number if latest else None,
        "status": latest.status if latest else None,
        "status_url": request.build_absolute_uri(reverse("playlists_api:status", args=[playlist.pk])),
        "url": request.build_absolute_uri(reverse("playlists_api:detail", args=[playlist.pk])),
    }
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


ACCEPTED = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Queued: `id`, `version`, `status`, `status_url` (poll it), `url`.",
)


class PlaylistListCreateApi(APIView):
    required_scope = READ_WRITE

    class PlaylistCreateSerializer(serializers.Serializer):
        # Length and content are checked by the service, with messages that say how to fix them.
        prompt = StrictCharField(
            allow_blank=True,
            trim_whitespace=False,
            help_text=f"What the listener wants, in their words (up to {PROMPT_MAX_LENGTH:,} characters).",
        )
        size = serializers.IntegerField(
            min_value=SIZE_MIN,
            max_value=SIZE_MAX,
            required=False,
            allow_null=True,
            help_text="Tracks wanted; default: what the prompt says, else 30.",
        )
        duration_minutes = serializers.IntegerField(
            min_value=1, max_value=24 * 60, required=False, allow_null=True, help_text="Instead of a size."
        )
        new_only = StrictBooleanField(default=False, help_text="Only tracks the listener has not played.")
        name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("size") and attrs.get("duration_minutes"):
                raise serializers.ValidationError("Give a size or a duration, not both.")
            return attrs

    @extend_schema(
        operation_id="playlists_list",
        description="Your playlists, paginated.",
        summary="Your playlists",
        responses={200: paginated("PaginatedPlaylistList", PlaylistSerializer)},
    )
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.playlist_list(user=request_user(request)), request, view=self
        )
        return paginator.get_paginated_response(PlaylistSerializer(page, many=True).data)

    @extend_schema(
        operation_id="playlists_create",
        summary="Make a playlist from a prompt",
        description="Queues generation and answers 202 at once; poll `status_url` until `ready` "
        "(or `failed`, with the reason), then read the playlist at `url`.",
        request=PlaylistCreateSerializer,
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(description="Bad input: both a size and a duration, or bad fields."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.PlaylistCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        minutes = data.validated_data.get("duration_minutes")
        playlist = services.playlist_create(
            owner=request_user(request),
            prompt=data.validated_data["prompt"],
            size=data.validated_data.get("size"),
            duration_seconds=minutes * 60 if minutes else None,
            new_only=data.validated_data["new_only"],
            name=data.validated_data.get("name", ""),
        )
        return _accepted(request, playlist)


class PlaylistDetailApi(APIView):
    required_scope = READ_WRITE

    class PlaylistUpdateSerializer(serializers.Serializer):
        name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False)
        refresh = serializers.ChoiceField(choices=RefreshSchedule.choices, required=False)

    @extend_schema(
        operation_id="playlists_retrieve",
        summary="A playlist with its tracks and reasons",
        description="The newest ready version (or `?version=N`), its items with score components and "
        "reasons, the Intent it was built from, and any constraint that had to be relaxed.",
        parameters=[VERSION_PARAMETER],
        responses={200: PlaylistDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        version = selectors.version_get(
            playlist=playlist, number=selectors.version_number_param(request.query_params)
        )
        items = selectors.version_items(version=version) if version else []
        serializer = PlaylistDetailSerializer(playlist, context={"version": version, "items": items})
        return Response(serializer.data)

    @extend_schema(
        operation_id="playlists_update",
        description="Changes the name and/or the refresh schedule; the tracks stay as they are.",
        summary="Rename, or set the refresh schedule",
        request=PlaylistUpdateSerializer,
        responses={200: PlaylistSerializer, 400: ERROR_RESPONSE, 404: NOT_FOUND},
    )
    def patch(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        data = self.PlaylistUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        playlist = services.playlist_update(playlist=playlist, **data.validated_data)
        return Response(PlaylistSerializer(playlist).data)

    @extend_schema(
        operation_id="playlists_destroy",
        description=(
            "Deletes the playlist with all its versions; with `?delete_pushed=true` its copies pushed "
            "to media servers are deleted there too. The playlist is deleted even when a server cannot "
            "delete its copy (it refuses or cannot be reached): the answer is then a 200 naming the "
            "copies left and why, to delete them in the server's own app; otherwise a 204."
        ),
        summary="Delete a playlist (?delete_pushed=true also deletes its pushed copies)",
        parameters=[DeletePushedQuerySerializer],
        responses={
            **remote_deletion_responses(
                done="Deleted (and every pushed copy too, if asked).",
                left="Deleted, but some pushed copies could not be deleted and stay on the server.",
            ),
            404: NOT_FOUND,
        },
    )
    def delete(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        query = DeletePushedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        outcome = services.playlist_delete(
            playlist=playlist, delete_pushed=query.validated_data["delete_pushed"]
        )
        return remote_deletion_response(outcome)


class PlaylistPushApi(APIView):
    required_scope = READ_WRITE

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PlaylistPushInput"

        link = serializers.IntegerField(
            help_text="One of my media server links (/api/feedback/servers/links/)."
        )

    @extend_schema(
        operation_id="playlists_push",
        summary="Push a playlist to my account on a media server (createPlaylist / updatePlaylist)",
        description="Creates the playlist there, or replaces its songs when pushed before; later versions "
        "(refine, refresh) follow by themselves.",
        request=InputSerializer,
        responses={
            200: OpenApiResponse(
                description="{remote_playlist_id, name, version_number, songs_pushed, songs_missing}"
            ),
            400: OpenApiResponse(description="The server could not be reached or refused."),
            404: OpenApiResponse(description="No such playlist or link among yours."),
        },
    )
    def post(self, request: Request, playlist_id: int) -> Response:
        user = request_user(request)
        playlist = selectors.playlist_get(user=user, playlist_id=playlist_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = subsonic_link_get(user=user, link_id=data.validated_data["link"])
        push = services.playlist_push(playlist=playlist, link=link)
        return Response(
            {
                "remote_playlist_id": push.remote_playlist_id,
                "name": push.name,
                "version_number": push.version_number,
                "songs_pushed": push.songs_pushed,
                "songs_missing": push.songs_missing,
            }
        )


class PlaylistStatusApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="playlists_status",
        summary="Generation status of the newest version",
        description="`status` is queued, running (with the current `stage`), ready or failed (with "
        "`error`); `stage_seconds` holds the time spent per stage.",
        responses={200: VersionStatusSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        latest = selectors.version_latest(playlist=playlist)
        if latest is None:
            raise NotFound("This playlist has no version.")
        return Response(VersionStatusSerializer(latest).data)


class PlaylistVersionListApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="playlists_versions",
        description=(
            "Every version, newest first, with its cause, status, and the tracks it added and removed "
            "compared with the one before."
        ),
        summary="Version history, with what each version added and removed",
        responses={200: VersionChangeSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        return Response(VersionChangeSerializer(selectors.version_changes(playlist=playlist), many=True).data)


class PlaylistRefineApi(APIView):
    required_scope = READ_WRITE

    class PlaylistRefineSerializer(serializers.Serializer):
        change = StrictCharField(
            max_length=services.CHANGE_MAX_LENGTH, help_text="e.g. “less rap, more upbeat”."
        )

    @extend_schema(
        operation_id="playlists_refine",
        description=(
            'Describe the change in words ("less rap, more upbeat"); it is parsed into the Intent and '
            "a new version is queued. Answers 202; poll `status_url`."
        ),
        summary="Refine: a new version from the current Intent plus a change",
        request=PlaylistRefineSerializer,
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(description="A change with nothing to say (blank), or bad fields."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        data = self.PlaylistRefineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.playlist_refine(playlist=playlist, change=data.validated_data["change"])
        return _accepted(request, playlist)


class PlaylistIntentApi(APIView):
    required_scope = READ_WRITE

    class PlaylistIntentSerializer(serializers.Serializer):
        intent = serializers.DictField(help_text="The playlist's `intent` (an object), edited.")

    @extend_schema(
        operation_id="playlists_intent_edit",
        summary="Regenerate from an edited Intent",
        description="Send back the playlist's `intent` with pieces removed or ranges changed.",
        request=PlaylistIntentSerializer,
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(
                description=(
                    "An intent the app cannot read (not an object, or with values out of range), or bad "
                    "fields."
                )
            ),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, playlist_id: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        data = self.PlaylistIntentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.playlist_intent_edit(
            playlist=playlist, intent=data.validated_data["intent"], summary="Edited via API"
        )
        return _accepted(request, playlist)


class PlaylistRetryApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="playlists_retry",
        description=(
            "Queues a failed version again; a queued, running or ready version cannot be retried. Answers "
            "202; poll `status_url`."
        ),
        summary="Retry a failed version",
        request=None,
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(description="Only a failed version can be retried."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, playlist_id: int, number: int) -> Response:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        version = selectors.version_get(playlist=playlist, number=number)
        assert version is not None
        services.playlist_version_retry(version=version)
        return _accepted(request, playlist)


class PlaylistExportApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="playlists_export",
        summary="Download as JSPF, XSPF or M3U8",
        description="Tracks with audio in a music library are located by absolute signed stream URLs "
        "(valid for `STREAM_LINK_TTL_HOURS`, no session needed), or with `paths=relative` by their "
        "file paths relative to the library's root. Tracks without audio are listed by name and "
        "identifiers (MusicBrainz recording, ISRC, Spotify URI); in M3U8 as comment lines.",
        parameters=[
            OpenApiParameter(
                "export_format", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORT_FORMATS)
            ),
            VERSION_PARAMETER,
            OpenApiParameter(
                "paths",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                enum=list(AudioLocations),
                default=AudioLocations.STREAM.value,
                description="`stream`: signed stream URLs; `relative`: library-relative file paths.",
            ),
        ],
        responses={
            # One media type per format (jspf, xspf, m3u8).
            (200, "application/jspf+json"): OpenApiTypes.BINARY,
            (200, "application/xspf+xml"): OpenApiTypes.BINARY,
            (200, "audio/x-mpegurl"): OpenApiTypes.BINARY,
            (400, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Unknown `paths` value."),
            (400, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A malformed `version`."
            ),
            404: NOT_FOUND,
            (409, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="No finished version yet."),
        },
    )
    def get(self, request: Request, playlist_id: int, export_format: str) -> HttpResponse:
        playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
        return export_response(request, playlist, export_format)
