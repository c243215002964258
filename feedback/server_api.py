"""API: a listener's links to Subsonic servers (their own only; anyone else's is a 404).

Credentials go in (write-only) and never come back out.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ_WRITE
from accounts.requests import request_user
from catalog import selectors as catalog_selectors
from catalog import subsonic_services
from catalog.models import SubsonicLink, SubsonicPush
from catalog.serializers import (
    DeletePushedQuerySerializer,
    remote_deletion_response,
    remote_deletion_responses,
)
from config.api_fields import StrictBooleanField, StrictCharField
from feedback.subsonic_history import subsonic_history_import_request

NOT_FOUND = OpenApiResponse(description="No such link among yours.")


class SubsonicPushSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubsonicPush
        fields = [
            "playlist_id",
            "remote_playlist_id",
            "name",
            "version_number",
            "songs_pushed",
            "songs_missing",
            "error",
            "pushed_at",
        ]
        read_only_fields = fields


class SubsonicLinkSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    pushes = SubsonicPushSerializer(many=True, read_only=True)

    class Meta:
        model = SubsonicLink
        fields = [
            "id",
            "source",
            "source_name",
            "username",
            "auth_mode",
            "scrobble",
            "last_error",
            "last_import_at",
            "last_import_report",
            "created_at",
            "pushes",
        ]
        read_only_fields = fields


class ServerSourceListApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="feedback_servers_list",
        description=(
            "The Subsonic-compatible media servers (Navidrome and the like) added by staff, on which you "
            "may link your own account."
        ),
        summary="Media servers I can link my account on",
        responses={200: OpenApiResponse(description="[{id, name}]")},
    )
    def get(self, request: Request) -> Response:
        sources = catalog_selectors.subsonic_sources_for_linking(user=request.user)
        return Response([{"id": source.pk, "name": source.name} for source in sources])


class ServerLinkListCreateApi(APIView):
    required_scope = READ_WRITE

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ServerLinkInput"

        source = serializers.IntegerField()  # type: ignore[assignment]
        username = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        password = StrictCharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        api_key = StrictCharField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="feedback_server_links_list",
        description=(
            "Your linked media server accounts, with whether plays are scrobbled to them. Passwords are "
            "never returned."
        ),
        summary="My linked media server accounts",
        responses={200: SubsonicLinkSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        links = catalog_selectors.subsonic_links_for_user(user=request.user)
        return Response(SubsonicLinkSerializer(links, many=True).data)

    @extend_schema(
        operation_id="feedback_server_links_create",
        description=(
            "Logs in on the server with your credentials first and stores them encrypted only if it "
            "accepts them."
        ),
        summary="Link my account on a media server (checked against the server first)",
        request=InputSerializer,
        responses={
            201: SubsonicLinkSerializer,
            400: OpenApiResponse(description="Unreachable or refused."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        source = catalog_selectors.subsonic_source_get_for_linking(
            user=request.user, source_id=values["source"]
        )
        link = subsonic_services.subsonic_link_add(
            user=request_user(request),
            source_id=source.pk,
            username=values["username"],
            password=values["password"],
            api_key=values["api_key"],
        )
        return Response(SubsonicLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ServerLinkDetailApi(APIView):
    required_scope = READ_WRITE

    class UpdateSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ServerLinkUpdate"

        scrobble = StrictBooleanField()

    @extend_schema(
        operation_id="feedback_server_links_retrieve",
        description="The link's server, user name and scrobbling flag. The password is never returned.",
        summary="One of my media server links",
        responses={200: SubsonicLinkSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, link_id: int) -> Response:
        link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
        return Response(SubsonicLinkSerializer(link).data)

    @extend_schema(
        operation_id="feedback_server_links_update",
        description="With scrobbling on, plays in Segue are also reported to the server.",
        summary="Turn scrobbling to this server on or off",
        request=UpdateSerializer,
        responses={200: SubsonicLinkSerializer, 404: NOT_FOUND},
    )
    def patch(self, request: Request, link_id: int) -> Response:
        link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = subsonic_services.subsonic_link_update(link=link, scrobble=data.validated_data["scrobble"])
        return Response(SubsonicLinkSerializer(link).data)

    @extend_schema(
        operation_id="feedback_server_links_destroy",
        description=(
            "Removes the link and its stored credentials; with `?delete_pushed=true` the playlists pushed "
            "to that server are deleted there too. The link is removed even when some of those copies "
            "cannot be deleted (the server refuses or cannot be reached): the answer is then a 200 naming "
            "them and why, to delete them in the server's own app; otherwise a 204."
        ),
        summary="Unlink (?delete_pushed=true also deletes the pushed playlists on the server)",
        parameters=[DeletePushedQuerySerializer],
        responses={
            **remote_deletion_responses(
                done="Unlinked (and every pushed copy deleted, if asked).",
                left="Unlinked, but some pushed copies could not be deleted and stay on the server.",
            ),
            404: NOT_FOUND,
        },
    )
    def delete(self, request: Request, link_id: int) -> Response:
        link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
        query = DeletePushedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        outcome = subsonic_services.subsonic_link_remove(
            link=link, delete_pushed=query.validated_data["delete_pushed"]
        )
        return remote_deletion_response(outcome)


class ServerLinkImportApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="feedback_server_links_import",
        description=(
            "Queues a history import from the server's starred songs and play counts; poll the returned "
            "job like an uploaded history."
        ),
        summary="Import my starred songs and play counts from this server as listening history",
        request=None,
        responses={202: OpenApiResponse(description="Queued; the report lands on the link."), 404: NOT_FOUND},
    )
    def post(self, request: Request, link_id: int) -> Response:
        link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
        subsonic_history_import_request(user=request_user(request), link=link)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
