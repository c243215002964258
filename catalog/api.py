"""Catalog REST API: thin views over the catalog selectors, the import service and the radio; the
staff's music libraries are in catalog.library_api."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import READ_WRITE
from catalog import selectors
from catalog.forms import TagNamesField, TrackFilterForm
from catalog.import_jobs import catalog_import_request
from catalog.models import ImportFormat
from catalog.radio import RADIO_SIZE_DEFAULT, RADIO_SIZE_MAX, RadioEntry, track_radio
from catalog.serializers import (
    CatalogImportSerializer,
    EmbeddingStatusSerializer,
    TrackDetailSerializer,
    TrackHitListSerializer,
    TrackPageSerializer,
    TrackSerializer,
)
from catalog.stream_links import signed_stream_path
from config.api_fields import StrictBooleanField, StrictCharField
from config.uploads import upload_size_check

ERROR_RESPONSE = OpenApiResponse(description="Bad parameters: field name → list of messages, or `detail`.")
FILTER_ERROR = OpenApiResponse(
    description=(
        "Bad filters (field name → list of messages): a malformed value, or `year_from` after `year_to`."
    )
)
SEARCH_K_MAX = 200
SIMILAR_K_MAX = 50


def filter_parameters(
    *, exclude: tuple[str, ...] = (), descriptions: dict[str, str] | None = None
) -> list[OpenApiParameter]:
    """OpenAPI query parameters generated from TrackFilterForm, so the schema and the rules match."""
    parameters = []
    for name, field in TrackFilterForm.base_fields.items():
        if name in exclude:
            continue
        kind: Any = OpenApiTypes.STR
        if isinstance(field, forms.IntegerField):  # FloatField included (a subclass)
            kind = {"type": "number" if isinstance(field, forms.FloatField) else "integer"}
            if field.min_value is not None:
                kind["minimum"] = field.min_value
            if field.max_value is not None:
                kind["maximum"] = field.max_value
        enum = None
        if isinstance(field, forms.ChoiceField):
            enum = [value for value, _ in cast("list[tuple[str, str]]", field.choices) if value]
        many = isinstance(field, TagNamesField)
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                OpenApiParameter.QUERY,
                required=False,
                description=(descriptions or {}).get(name, str(field.help_text)),
                enum=enum,
                many=many or None,
                explode=True if many else None,
            )
        )
    return parameters


def query_names_check(request: Request, *, also: tuple[str, ...]) -> None:
    """The query holds only the documented parameters, each once unless it is a list (``tag``): an
    unknown name, or a repeated single value (the form would keep the last), answers 400 instead of
    being ignored."""
    lists = {name for name, field in TrackFilterForm.base_fields.items() if isinstance(field, TagNamesField)}
    known = {*TrackFilterForm.base_fields, *also, "format"}
    errors = {}
    for name in request.query_params:
        if name not in known:
            errors[name] = ["Unknown parameter."]
        elif name not in lists and len(request.query_params.getlist(name)) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise ValidationError(errors)


def filters_from_query(request: Request, *, also: tuple[str, ...] = ()) -> TrackFilterForm:
    """The query's filters, validated by the browse page's form; invalid ones answer 400, and so do
    parameters other than the filters and ``also``."""
    query_names_check(request, also=also)
    form = TrackFilterForm(request.query_params)
    if not form.is_valid():
        errors = {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(e) for e in messages]
            for field, messages in form.errors.items()
        }
        raise ValidationError(errors)
    return form


class TrackListApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="tracks_list",
        summary="Browse tracks",
        description="Tracks passing the filters, most popular first; `q` matches titles, artists and "
        "albums as a substring (use /api/tracks/search/ to search by meaning).",
        parameters=[
            *filter_parameters(
                exclude=("mode",),
                descriptions={"q": "Text found in the title, an artist's name or the album."},
            ),
            OpenApiParameter(
                "page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page number, from 1."
            ),
        ],
        responses={
            200: TrackPageSerializer,
            400: FILTER_ERROR,
            404: OpenApiResponse(description="No such page."),
        },
    )
    def get(self, request: Request) -> Response:
        form = filters_from_query(request, also=("page",))
        tracks = selectors.track_list(filters=form.to_filters(), text=form.text)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(tracks, request, view=self)
        return paginator.get_paginated_response(TrackSerializer(page, many=True).data)


class TrackSearchApi(APIView):
    required_scope = READ_WRITE

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=300, help_text="What to search for, in words (required).")
        k = serializers.IntegerField(
            min_value=1,
            max_value=SEARCH_K_MAX,
            default=20,
            help_text=f"How many tracks, 1 to {SEARCH_K_MAX}.",
        )

    @extend_schema(
        operation_id="tracks_search",
        summary="Search tracks by meaning",
        description="The `q` text is embedded with the catalog's text model and the `k` nearest tracks "
        "that pass the filters come back, closest first, each with its `similarity`.",
        parameters=[InputSerializer, *filter_parameters(exclude=("q", "mode"))],
        responses={200: TrackHitListSerializer, 400: FILTER_ERROR},
    )
    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        form = filters_from_query(request, also=("k",))
        tracks = selectors.track_semantic_search(
            text=query.validated_data["q"], k=query.validated_data["k"], filters=form.to_filters()
        )
        return Response(TrackHitListSerializer({"count": len(tracks), "results": tracks}).data)


class TrackDetailApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="tracks_retrieve",
        description="A track's metadata, tags and audio features.",
        summary="One track",
        responses={200: TrackDetailSerializer, 404: OpenApiResponse(description="No such track.")},
    )
    def get(self, request: Request, track_id: int) -> Response:
        track = selectors.track_get(track_id=track_id)
        return Response(TrackDetailSerializer(track).data)


class TrackSimilarApi(APIView):
    required_scope = READ_WRITE

    class InputSerializer(serializers.Serializer):
        k = serializers.IntegerField(
            min_value=1,
            max_value=SIMILAR_K_MAX,
            default=10,
            help_text=f"How many tracks, 1 to {SIMILAR_K_MAX}.",
        )

    @extend_schema(
        operation_id="tracks_similar",
        summary="Tracks similar to one track",
        description="The nearest tracks by text embedding, never the track itself. Empty while the "
        "track is not embedded yet.",
        parameters=[InputSerializer],
        responses={200: TrackHitListSerializer, 404: OpenApiResponse(description="No such track.")},
    )
    def get(self, request: Request, track_id: int) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        track = selectors.track_get(track_id=track_id)
        tracks = selectors.track_similar(track=track, k=query.validated_data["k"])
        return Response(TrackHitListSerializer({"count": len(tracks), "results": tracks}).data)


class CatalogImportListCreateApi(APIView):
    """GET lists import jobs, POST queues one: two operations sharing one URL, staff only."""

    required_scope = READ_WRITE

    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="CSV or JSON lines, optionally gzipped.")
        # DRF's metaclass moves declared fields off the class; the stubs see a clash with Field.source.
        source = StrictCharField(  # type: ignore[assignment]
            max_length=50, help_text="Where the tracks come from, e.g. spotify."
        )
        format = serializers.ChoiceField(
            choices=[("", "detect"), *ImportFormat.choices],
            required=False,
            allow_blank=True,
            default="",
            help_text="csv or jsonl; blank detects it from the file name.",
        )
        map = StrictCharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="field=column pairs, e.g. source_id=track_id,title=track_name,artist=track_artist",
        )
        tags_from = StrictCharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="column:kind pairs, e.g. playlist_genre:genre,playlist_subgenre:genre",
        )
        strict = StrictBooleanField(required=False, default=False, help_text="Stop at the first bad row.")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication: session authentication checks CSRF, which reads (and stores)
        # the whole multipart body; an oversized upload is refused before a byte of it is read.
        self.format_kwarg = self.get_format_suffix(**kwargs)  # the error response's renderer needs it
        upload_size_check(request, limit=settings.CATALOG_UPLOAD_MAX_BYTES)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="catalog_imports_list",
        summary="Recent catalog import jobs (staff)",
        responses={200: CatalogImportSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        jobs = selectors.catalog_import_list(user=request.user)
        return Response(CatalogImportSerializer(jobs, many=True).data)

    @extend_schema(
        operation_id="catalog_imports_create",
        summary="Upload a catalog file to import (staff)",
        description="The file is stored and imported in the background; poll the returned job.",
        request={"multipart/form-data": InputSerializer},
        responses={
            202: CatalogImportSerializer,
            400: OpenApiResponse(
                description="Not a catalog to import: a format neither given nor told by the file name, "
                "an unreadable file, or bad fields."
            ),
            413: OpenApiResponse(description="The upload is larger than CATALOG_UPLOAD_MAX_BYTES."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = catalog_import_request(
            user=cast(User, request.user),  # IsAdminUser let only an authenticated staff user through
            uploaded_file=data.validated_data["file"],
            source=data.validated_data["source"],
            file_format=data.validated_data["format"],
            column_map=data.validated_data["map"],
            tag_columns=data.validated_data["tags_from"],
            strict=data.validated_data["strict"],
        )
        return Response(CatalogImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CatalogImportDetailApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="catalog_imports_retrieve",
        description=(
            "The job's status and progress, rows read, tracks created and updated, rows skipped (the first "
            "with their reasons), and its error when it failed. Staff only."
        ),
        summary="One catalog import job (staff)",
        responses={
            200: CatalogImportSerializer,
            404: OpenApiResponse(description="No such job (or not staff)."),
        },
    )
    def get(self, request: Request, import_id: int) -> Response:
        job = selectors.catalog_import_get(user=request.user, import_id=import_id)
        return Response(CatalogImportSerializer(job).data)


class EmbeddingStatusApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="catalog_embedding_status",
        description=(
            "How many tracks have a text embedding for search by meaning, out of all tracks; embeddings "
            "are computed in the background after an import."
        ),
        summary="How much of the catalog has text embeddings",
        responses={200: EmbeddingStatusSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(EmbeddingStatusSerializer(selectors.embedding_progress()).data)


# --- "More like this" radio ----------------------------------------------------------------------


class RadioTrackSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 for the first track to play.")
    id = serializers.IntegerField(source="track.pk")
    title = serializers.CharField(source="track.title")
    artists = serializers.ListField(child=serializers.CharField(), source="artist_names")
    album = serializers.CharField(source="track.album")
    duration_ms = serializers.IntegerField(source="track.duration_ms", allow_null=True)
    similarity = serializers.FloatField(help_text="Blend of the two similarities below, -1 to 1.")
    sound_similarity = serializers.FloatField(
        allow_null=True, help_text="Cosine similarity of the sound vectors; null when either has none."
    )
    text_similarity = serializers.FloatField(
        allow_null=True, help_text="Cosine similarity of the text embeddings; null when either has none."
    )
    has_audio = serializers.BooleanField(help_text="Whether a file of the track is in a music library.")
    stream_url = serializers.SerializerMethodField(
        help_text="A signed stream URL (any player, no session; valid for STREAM_LINK_TTL_HOURS), "
        "or null for a track without audio."
    )

    def get_stream_url(self, entry: RadioEntry) -> str | None:
        if not entry.has_audio:
            return None
        ttl_seconds = settings.STREAM_LINK_TTL_HOURS * 3600
        path = signed_stream_path(track_id=entry.track.pk, ttl_seconds=ttl_seconds)
        return str(self.context["request"].build_absolute_uri(path))


class TrackRadioSerializer(serializers.Serializer):
    seed = serializers.IntegerField(help_text="The track the radio started from.")
    count = serializers.IntegerField()
    results = RadioTrackSerializer(many=True)


class TrackRadioApi(APIView):
    required_scope = READ_WRITE

    class InputSerializer(serializers.Serializer):
        size = serializers.IntegerField(
            min_value=1,
            max_value=RADIO_SIZE_MAX,
            default=RADIO_SIZE_DEFAULT,
            help_text=f"How many tracks, 1 to {RADIO_SIZE_MAX}.",
        )

    @extend_schema(
        operation_id="tracks_radio",
        summary="More like this: a radio from one track",
        description="Tracks like this one by sound (when it has a sound vector, from its audio) blended "
        "with text-embedding similarity; never the track itself, nothing you disliked or left out of "
        "your taste, no track whose files were all removed from the library, at most two tracks per "
        "artist, tracks with audio first. Empty while the track has neither vector. Any signed-in "
        "listener may start a radio from any catalog track.",
        parameters=[InputSerializer],
        responses={
            200: TrackRadioSerializer,
            400: ERROR_RESPONSE,
            401: OpenApiResponse(description="Not signed in."),
            404: OpenApiResponse(description="No such track."),
        },
    )
    def get(self, request: Request, track_id: int) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        entries = track_radio(user=user, track_id=track_id, size=query.validated_data["size"])
        data = {"seed": track_id, "count": len(entries), "results": entries}
        return Response(TrackRadioSerializer(data, context={"request": request}).data)
