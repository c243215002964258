"""The curator API (themes, pins, blocks, the review queue, the audit log; curators only) and
the listener's report endpoint. Thin views over editorial.services and selectors."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ_WRITE, IsCurator, TokenHasScope
from accounts.requests import request_user
from config.api_fields import StrictBooleanField, StrictCharField
from config.api_schema import paginated
from config.errors import ApplicationError
from editorial import review_services, selectors, services
from editorial.models import REASON_MAX_LENGTH, QueueReason, ReviewItem, Theme, ThemePin, Verdict
from editorial.serializers import (
    AuditEntrySerializer,
    BlockSerializer,
    PinSerializer,
    ReviewItemSerializer,
    ThemeSerializer,
)
from playlists import selectors as playlist_selectors

ERROR_RESPONSE = OpenApiResponse(description="Bad input: field name → list of messages, or `detail`.")
FORBIDDEN = OpenApiResponse(description="Not a curator.")
THEME_ERROR = OpenApiResponse(
    description="Bad input: a name without visible characters or already taken, or bad fields."
)
CURATOR_PERMISSIONS = [IsCurator, TokenHasScope]


def _page(
    request: Request, view: APIView, queryset: Any, serializer: type[serializers.Serializer]
) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class ThemeInputSerializer(serializers.Serializer):
    name = StrictCharField(allow_blank=True, help_text="Required; unique (case-insensitive).")
    description = StrictCharField(allow_blank=True, required=False, default="")
    example_prompts = serializers.ListField(child=StrictCharField(), required=False, default=list)
    is_active = StrictBooleanField(
        required=False,
        help_text="Whether prompts get the theme's rules. Create: true when left out; "
        "update: unchanged when left out.",
    )


class ThemeListCreateApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_themes_list",
        description=(
            "Every theme with its description, example prompts and whether it is active, paginated. "
            "Curators only."
        ),
        summary="Themes",
        responses={200: paginated("PaginatedThemeList", ThemeSerializer), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, selectors.theme_list(), ThemeSerializer)

    @extend_schema(
        operation_id="editorial_themes_create",
        description=(
            "A theme's pins, blocks and boosts apply to prompts that match it while it is active. The name "
            "must have visible characters and be unused (case-insensitive). Curators only."
        ),
        summary="Create a theme",
        request=ThemeInputSerializer,
        responses={201: ThemeSerializer, 400: THEME_ERROR, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = _valid(ThemeInputSerializer, request)
        theme = services.theme_create(
            actor=request_user(request),
            name=data["name"],
            description=data["description"],
            example_prompts=data["example_prompts"],
            is_active=data.get("is_active", True),
        )
        return Response(ThemeSerializer(theme).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ThemeDetailApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_themes_retrieve",
        description="The theme's name, description, example prompts and active flag. Curators only.",
        summary="A theme",
        responses={200: ThemeSerializer, 403: FORBIDDEN},
    )
    def get(self, request: Request, theme_id: int) -> Response:
        return Response(ThemeSerializer(selectors.theme_get(theme_id=theme_id)).data)

    @extend_schema(
        operation_id="editorial_themes_update",
        description=(
            "Replaces the theme's fields; `is_active` left out keeps the current value. The name must have "
            "visible characters and be unused by another theme. Curators only."
        ),
        summary="Replace a theme's name, description, examples and active flag",
        request=ThemeInputSerializer,
        responses={200: ThemeSerializer, 400: THEME_ERROR, 403: FORBIDDEN},
    )
    def put(self, request: Request, theme_id: int) -> Response:
        data = _valid(ThemeInputSerializer, request)
        theme = services.theme_update(
            actor=request_user(request),
            theme=selectors.theme_get(theme_id=theme_id),
            name=data["name"],
            description=data["description"],
            example_prompts=data["example_prompts"],
            is_active=data.get("is_active"),
        )
        return Response(ThemeSerializer(theme).data)

    @extend_schema(
        operation_id="editorial_themes_delete",
        description=(
            "Deletes the theme and everything attached to it; recorded in the audit log. Curators only."
        ),
        summary="Delete a theme with its pins, blocks and boosts",
        responses={204: None, 403: FORBIDDEN},
    )
    def delete(self, request: Request, theme_id: int) -> Response:
        services.theme_delete(actor=request_user(request), theme=selectors.theme_get(theme_id=theme_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PinInputSerializer(serializers.Serializer):
    track = serializers.IntegerField(help_text="Track id.")
    position = serializers.IntegerField(default=1, help_text="1 is the first track.")
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PinListCreateApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_pins_list",
        description="The tracks pinned in the theme, by position, paginated. Curators only.",
        summary="A theme's pins",
        responses={200: paginated("PaginatedPinList", PinSerializer), 403: FORBIDDEN},
    )
    def get(self, request: Request, theme_id: int) -> Response:
        return _page(
            request, self, selectors.theme_pins(theme=selectors.theme_get(theme_id=theme_id)), PinSerializer
        )

    @extend_schema(
        operation_id="editorial_pins_create",
        description=(
            "Places a catalog track at `position` in playlists of the theme, optionally between "
            "`starts_at` and `ends_at`; recorded in the audit log. Curators only."
        ),
        summary="Pin a track in a theme",
        request=PinInputSerializer,
        responses={
            201: PinSerializer,
            400: OpenApiResponse(description="A track not in the catalog, or bad fields."),
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request, theme_id: int) -> Response:
        data = _valid(PinInputSerializer, request)
        pin = services.pin_create(
            actor=request_user(request),
            theme=selectors.theme_get(theme_id=theme_id),
            track_id=data["track"],
            position=data["position"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
        return Response(PinSerializer(pin).data, status=status.HTTP_201_CREATED)


class PinDeleteApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_pins_delete",
        description="The track is no longer pinned in its theme; recorded in the audit log. Curators only.",
        summary="Unpin",
        responses={204: None, 403: FORBIDDEN},
    )
    def delete(self, request: Request, pin_id: int) -> Response:
        services.pin_delete(actor=request_user(request), pin=get_object_or_404(ThemePin, pk=pin_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockInputSerializer(serializers.Serializer):
    track = serializers.IntegerField(required=False, allow_null=True, default=None)
    artist = serializers.IntegerField(required=False, allow_null=True, default=None)
    theme = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Empty: everywhere."
    )
    reason = StrictCharField(allow_blank=True, max_length=REASON_MAX_LENGTH)


class BlockListCreateApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_blocks_list",
        description=(
            "Global blocks and theme blocks, paginated. A blocked track or artist is never recommended "
            "where the block applies. Curators only."
        ),
        summary="Blocks (global and per theme)",
        responses={200: paginated("PaginatedBlockList", BlockSerializer), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, selectors.block_list(), BlockSerializer)

    @extend_schema(
        operation_id="editorial_blocks_create",
        description=(
            "Blocks one track or one artist (never both), everywhere or only in `theme`; recorded in the "
            "audit log. Curators only."
        ),
        summary="Block a track or an artist, everywhere or in one theme",
        request=BlockInputSerializer,
        responses={
            201: BlockSerializer,
            400: OpenApiResponse(description="Not exactly one of a track and an artist, or bad fields."),
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such theme."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(BlockInputSerializer, request)
        theme = Theme.objects.filter(pk=data["theme"]).first() if data["theme"] else None
        if data["theme"] and theme is None:
            raise ApplicationError("No such theme.", extra={"field": "theme"})
        block = services.block_create(
            actor=request_user(request),
            reason=data["reason"],
            track_id=data["track"],
            artist_id=data["artist"],
            theme=theme,
        )
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDeleteApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_blocks_delete",
        description="The track or artist may be recommended again; recorded in the audit log. Curators only.",
        summary="Lift a block",
        responses={204: None, 403: FORBIDDEN},
    )
    def delete(self, request: Request, block_id: int) -> Response:
        block = get_object_or_404(selectors.block_list(), pk=block_id)
        services.block_delete(actor=request_user(request), block=block)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueListApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    class FilterSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=QueueReason.choices, required=False, allow_blank=True)

    @extend_schema(
        operation_id="editorial_queue_list",
        description=(
            "Playlists waiting for a curator's review (a listener's report, low confidence in the parsed "
            "prompt, or a prompt rising in popularity), oldest first, paginated. Curators only."
        ),
        summary="Open review items, oldest first",
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedReviewItemList", ReviewItemSerializer), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return _page(
            request,
            self,
            selectors.review_queue(reason=filters.validated_data.get("reason", "")),
            ReviewItemSerializer,
        )


class QueueDecisionApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    class QueueDecisionSerializer(serializers.Serializer):
        track = serializers.IntegerField()
        verdict = serializers.ChoiceField(choices=Verdict.choices)

    @extend_schema(
        operation_id="editorial_queue_decide",
        summary="Approve or reject a track of a reviewed playlist",
        description="A rejection blocks the track in the playlist's theme (everywhere without one); "
        "an approval makes its artist a candidate boost of the theme.",
        request=QueueDecisionSerializer,
        responses={
            201: OpenApiResponse(description="Decided."),
            400: OpenApiResponse(description="A track not in the reviewed playlist, or bad fields."),
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request, item_id: int) -> Response:
        data = _valid(self.QueueDecisionSerializer, request)
        decision = review_services.review_decide(
            actor=request_user(request),
            item=get_object_or_404(ReviewItem, pk=item_id),
            track_id=data["track"],
            verdict=data["verdict"],
        )
        return Response(
            {"id": decision.pk, "track": decision.track_id, "verdict": decision.verdict},
            status=status.HTTP_201_CREATED,
        )


class QueueResolveApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    @extend_schema(
        operation_id="editorial_queue_resolve",
        description=(
            "Marks an open review item done; recorded in the audit log. A closed item cannot be closed "
            "again. Curators only."
        ),
        summary="Close a review item",
        request=None,
        responses={
            200: ReviewItemSerializer,
            400: OpenApiResponse(description="This review item is closed already."),
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = get_object_or_404(ReviewItem, pk=item_id)
        item = review_services.review_resolve(actor=request_user(request), item=item)
        return Response(ReviewItemSerializer(item).data)


class AuditListApi(APIView):
    required_scope = READ_WRITE

    permission_classes = CURATOR_PERMISSIONS

    class FilterSerializer(serializers.Serializer):
        actor = serializers.CharField(
            required=False, allow_blank=True, help_text="Part of the curator's e-mail."
        )
        action = serializers.CharField(
            required=False, allow_blank=True, help_text="Action prefix, e.g. `pin` or `theme.update`."
        )
        target_type = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(
        operation_id="editorial_audit_list",
        description=(
            "Curator actions recorded on the desk (themes, pins, blocks, boosts, review decisions), newest "
            "first, paginated. Curators only."
        ),
        summary="The audit log, newest first (read-only)",
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedAuditEntryList", AuditEntrySerializer), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return _page(request, self, selectors.audit_list(**filters.validated_data), AuditEntrySerializer)


class ReportCreateApi(APIView):
    """Listeners: report one of their playlists, or a track in it, to the editorial desk."""

    required_scope = READ_WRITE

    class ReportCreateSerializer(serializers.Serializer):
        playlist = serializers.IntegerField()
        track = serializers.IntegerField(required=False, allow_null=True, default=None)
        reason = StrictCharField(required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH)

    @extend_schema(
        operation_id="editorial_reports_create",
        summary="Report a playlist or a track in it",
        request=ReportCreateSerializer,
        responses={
            201: OpenApiResponse(description="Reported."),
            400: OpenApiResponse(description="A track not in the reported playlist, or bad fields."),
            404: OpenApiResponse(description="No such playlist (or not yours)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(self.ReportCreateSerializer, request)
        playlist = playlist_selectors.playlist_get(user=request_user(request), playlist_id=data["playlist"])
        report = review_services.report_create(
            reporter=request_user(request), playlist=playlist, track_id=data["track"], reason=data["reason"]
        )
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)
