"""Feedback REST API: a batch of listening events, the taste profile, exclusions, CF retrain."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.permissions import READ_WRITE, IsCurator, TokenHasScope
from accounts.requests import request_user
from config.uploads import PayloadTooLarge, upload_size_check
from feedback import history_imports, ingestion, selectors, services
from feedback.events import DEVICES, MAX_BATCH
from feedback.learning.event_weights import EVENT_KINDS
from feedback.models import HistoryFormat, HistoryImport


class EventSerializer(serializers.Serializer):
    """One event (documentation only: events are validated one by one, errors reported per event)."""

    id = serializers.UUIDField(
        help_text="The client's id for this event; a repeat is ignored (safe retries)."
    )
    kind = serializers.ChoiceField(choices=list(EVENT_KINDS))
    track = serializers.IntegerField(help_text="Catalog track id.")
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; not in the future.")
    playlist = serializers.IntegerField(required=False, help_text="The playlist it was played from …")
    version = serializers.IntegerField(required=False, help_text="… and that playlist's version number.")
    position = serializers.IntegerField(required=False, help_text="Position in the version (from 1).")
    position_ms = serializers.IntegerField(required=False, help_text="Where in the track (skip, progress).")
    ms_played = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=(
            "How much of the track was actually heard before this event, in ms (pauses and seeks "
            "excluded). Decides whether a skip is early; without it the position does."
        ),
    )
    device = serializers.ChoiceField(choices=list(DEVICES), required=False)
    local_hour = serializers.IntegerField(required=False, min_value=0, max_value=23)


class EventBatchApi(APIView):
    required_scope = "feedback"
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "feedback"

    class BatchSerializer(serializers.Serializer):
        # Schema only (the view reads each event on its own): at least one event, at most MAX_BATCH.
        events = serializers.ListField(child=EventSerializer(), min_length=1, help_text=f"1 to {MAX_BATCH}.")

    @extend_schema(
        operation_id="feedback_events_create",
        summary="Post a batch of listening events",
        description=(
            f"Up to {MAX_BATCH} events. Each is validated on its own: invalid ones (unknown track, a "
            "timestamp in the future, a malformed id, another listener's playlist) come back in "
            "`errors` with their index while the valid ones are stored. Repeated ids are counted in "
            "`duplicates` and change nothing. Needs the listening_history consent (403 otherwise, "
            "nothing stored) and, with a token, the `feedback` scope."
        ),
        request=BatchSerializer,
        responses={
            200: inline_serializer(
                "EventBatchResult",
                {
                    "stored": serializers.IntegerField(),
                    "duplicates": serializers.IntegerField(),
                    "rejected": serializers.IntegerField(),
                    "errors": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: OpenApiResponse(description="Not a batch of events."),
            403: OpenApiResponse(description="No listening_history consent, or a token without `feedback`."),
            413: OpenApiResponse(description=f"More than {MAX_BATCH} events."),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        events = data.get("events") if isinstance(data, dict) else data
        try:
            result = ingestion.events_ingest(user=request_user(request), events=events)
        except ingestion.BatchTooLarge as error:
            return Response(
                {"detail": error.message, **error.extra}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        return Response(result.to_dict())


class TasteApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="feedback_taste",
        description=(
            "What Segue learned from your plays, skips and likes: top artists and tags, the audio profile, "
            "and your exclusions."
        ),
        summary="My taste profile: top artists, tags, audio profile, exclusions",
        responses={200: OpenApiResponse(description="The profile.")},
    )
    def get(self, request: Request) -> Response:
        profile = selectors.taste_profile(user=request_user(request))
        return Response(profile.to_dict())


class TasteExclusionApi(APIView):
    required_scope = READ_WRITE

    class ExclusionSerializer(serializers.Serializer):
        track = serializers.IntegerField(required=False)
        artist = serializers.IntegerField(required=False)
        starts_at = serializers.DateTimeField(required=False)
        ends_at = serializers.DateTimeField(required=False)

    @extend_schema(
        operation_id="feedback_taste_exclusion_create",
        description=(
            "Exactly one of a track, an artist or a time window; what it covers no longer shapes your "
            "taste profile or recommendations."
        ),
        summary="Leave a track, an artist or a time window out of my taste",
        request=ExclusionSerializer,
        responses={
            201: OpenApiResponse(description="Applied at once."),
            400: OpenApiResponse(description="Not exactly one of a track, an artist and a time window."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.ExclusionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        exclusion = services.taste_exclusion_add(
            user=request_user(request),
            track_id=values.get("track"),
            artist_id=values.get("artist"),
            starts_at=values.get("starts_at"),
            ends_at=values.get("ends_at"),
        )
        return Response({"id": exclusion.pk, "kind": exclusion.kind}, status=status.HTTP_201_CREATED)


class TasteExclusionDeleteApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="feedback_taste_exclusion_delete",
        description="What the exclusion covered counts toward your taste again.",
        summary="Take an exclusion back",
        responses={204: None},
    )
    def delete(self, request: Request, exclusion_id: int) -> Response:
        exclusion = selectors.taste_exclusion_get(user=request_user(request), exclusion_id=exclusion_id)
        services.taste_exclusion_remove(exclusion=exclusion)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CFTrainApi(APIView):
    required_scope = READ_WRITE

    permission_classes = [IsCurator, TokenHasScope]

    @extend_schema(
        operation_id="feedback_cf_train",
        description=(
            "Queues a retraining of the collaborative-filtering model from the affinities of consenting "
            "listeners; it also runs on a schedule. Curators only."
        ),
        summary="Retrain collaborative filtering now (curators)",
        request=None,
        responses={202: OpenApiResponse(description="Queued.")},
    )
    def post(self, request: Request) -> Response:
        from feedback.tasks import train_cf

        train_cf.delay_on_commit()  # type: ignore[attr-defined]
        return Response({"detail": "Retraining queued."}, status=status.HTTP_202_ACCEPTED)


class HistoryImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = HistoryImport
        fields = [
            "id",
            "history_format",
            "original_name",
            "status",
            "percent_done",
            "bytes_total",
            "plays_read",
            "plays_matched",
            "plays_unmatched",
            "events_stored",
            "events_already_imported",
            "rows_skipped",
            "skipped_rows",
            "unmatched_tracks",
            "error",
            "created_at",
            "finished_at",
        ]


class HistoryImportListCreateApi(APIView):
    required_scope = "feedback"
    parser_classes = [MultiPartParser, FormParser]

    class HistoryUploadSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="The export: JSON, JSON lines, CSV, or the service's ZIP.")
        format = serializers.ChoiceField(choices=HistoryFormat.choices)

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        # Before authentication: its CSRF check would read (and store) the whole upload.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        upload_size_check(request, limit=settings.HISTORY_UPLOAD_MAX_BYTES)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="feedback_history_imports_list",
        description="Your listening-history imports with their status and counts.",
        summary="Your listening-history imports",
        responses={200: HistoryImportSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        jobs = selectors.history_import_list(user=request_user(request))
        return Response(HistoryImportSerializer(jobs, many=True).data)

    @extend_schema(
        operation_id="feedback_history_imports_create",
        summary="Import a listening history (Spotify, ListenBrainz, Last.fm)",
        description=(
            "Queues a background import and answers 202 with the job; poll its URL. Plays are matched "
            "to the catalog by Spotify URI, ISRC or MusicBrainz id, else artist and title; the job "
            "reports matched and unmatched plays and skipped rows. Importing the same file twice "
            "adds nothing. Needs the listening_history consent."
        ),
        request={"multipart/form-data": HistoryUploadSerializer},
        responses={
            202: HistoryImportSerializer,
            400: OpenApiResponse(description="No file, an unknown format or an empty file."),
            403: OpenApiResponse(description="No listening_history consent, or a token without `feedback`."),
            409: OpenApiResponse(description="An import of yours is already queued or running."),
            413: OpenApiResponse(description="Larger than HISTORY_UPLOAD_MAX_BYTES."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.HistoryUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = history_imports.history_import_request(
                user=request_user(request),
                uploaded_file=data.validated_data["file"],
                history_format=data.validated_data["format"],
            )
        except history_imports.HistoryFileTooLarge as error:
            raise PayloadTooLarge(error.message) from error
        except history_imports.HistoryImportBusy as error:
            return Response({"detail": error.message}, status=status.HTTP_409_CONFLICT)
        return Response(HistoryImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class HistoryImportDetailApi(APIView):
    required_scope = "feedback"

    @extend_schema(
        operation_id="feedback_history_imports_retrieve",
        description=(
            "Progress while it runs; when done, plays read, matched and unmatched, events stored and "
            "skipped rows with their numbers."
        ),
        summary="One history import: progress and report",
        responses={200: HistoryImportSerializer, 404: OpenApiResponse(description="Not yours, or none.")},
    )
    def get(self, request: Request, import_id: int) -> Response:
        job = selectors.history_import_get(user=request_user(request), import_id=import_id)
        return Response(HistoryImportSerializer(job).data)
