"""Music libraries REST API (staff): folders and Subsonic servers, and their scans."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import READ_WRITE, TokenHasScope
from catalog import selectors, sources, subsonic_services
from catalog.api import ERROR_RESPONSE
from catalog.models import LibrarySource, LibrarySourceKind
from catalog.serializers import LibraryScanSerializer, LibrarySourceSerializer
from config.api_fields import StrictBooleanField, StrictCharField

LIBRARY_PERMISSIONS = [IsAdminUser, TokenHasScope]
NOT_STAFF = OpenApiResponse(description="Not staff (or the token lacks the scope).")


def _library_with_details(*, user: object, source_id: int) -> LibrarySource:
    """The library as the list shows it: live file count and latest scan."""
    for library in selectors.library_source_list(user=user):
        if library.pk == source_id:
            return library
    return selectors.library_source_get(user=user, source_id=source_id)  # 404


class LibrarySourceListCreateApi(APIView):
    """GET lists music libraries, POST adds a folder (and queues its first scan): staff only."""

    required_scope = READ_WRITE

    permission_classes = LIBRARY_PERMISSIONS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LibrarySourceInput"  # the schema component's name; "Input" is taken

        # DRF's metaclass moves declared fields off the class; the stubs see a clash with Field.root.
        kind = serializers.ChoiceField(
            choices=LibrarySourceKind.choices,
            default=LibrarySourceKind.FOLDER,
            help_text="folder or subsonic.",
        )
        root = StrictCharField(  # type: ignore[assignment]
            max_length=1000, required=False, default="", help_text="Absolute path of a folder on the server."
        )
        base_url = StrictCharField(
            max_length=500, required=False, default="", help_text="Subsonic: the server's address."
        )
        username = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        password = StrictCharField(
            required=False, allow_blank=True, default="", trim_whitespace=False, write_only=True
        )
        api_key = StrictCharField(
            required=False, allow_blank=True, default="", write_only=True, help_text="OpenSubsonic API key."
        )
        name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        scan = StrictBooleanField(
            required=False, default=True, help_text="Queue a first scan (a Subsonic import) now."
        )

        def validate(self, attrs: dict) -> dict:
            if attrs["kind"] == LibrarySourceKind.FOLDER and not attrs["root"]:
                raise serializers.ValidationError({"root": "A folder library needs its path."})
            if attrs["kind"] == LibrarySourceKind.SUBSONIC and not attrs["base_url"]:
                raise serializers.ValidationError(
                    {"base_url": "A Subsonic library needs the server's address."}
                )
            return attrs

    @extend_schema(
        operation_id="catalog_libraries_list",
        summary="Music libraries (staff)",
        responses={200: LibrarySourceSerializer(many=True), 403: NOT_STAFF},
    )
    def get(self, request: Request) -> Response:
        libraries = selectors.library_source_list(user=request.user)
        return Response(LibrarySourceSerializer(libraries, many=True).data)

    @extend_schema(
        operation_id="catalog_libraries_create",
        summary="Add a music folder or a Subsonic server (staff)",
        description="A folder must exist and be readable by the server; a Subsonic server must answer and "
        "accept the credentials (checked now; stored encrypted, never returned). The import runs in the "
        "background.",
        request=InputSerializer,
        responses={
            201: LibrarySourceSerializer,
            400: OpenApiResponse(
                description="A folder that is not an absolute path or not readable, a Subsonic server "
                "that does not answer or refuses the credentials, or bad fields."
            ),
            403: NOT_STAFF,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        values = data.validated_data
        if values["kind"] == LibrarySourceKind.SUBSONIC:
            library = subsonic_services.subsonic_source_add(
                base_url=values["base_url"],
                username=values["username"],
                password=values["password"],
                api_key=values["api_key"],
                name=values["name"],
                user=user,
                sync=values["scan"],
            )
        else:
            library = sources.library_source_add(
                root=values["root"], name=values["name"], user=user, scan=values["scan"]
            )
        library = _library_with_details(user=user, source_id=library.pk)
        return Response(LibrarySourceSerializer(library).data, status=status.HTTP_201_CREATED)


class LibrarySourceDetailApi(APIView):
    required_scope = READ_WRITE

    permission_classes = LIBRARY_PERMISSIONS

    @extend_schema(
        operation_id="catalog_libraries_retrieve",
        description=(
            "The library with its live file count and its latest scan. Staff only; credentials are never "
            "returned."
        ),
        summary="One music library (staff)",
        responses={
            200: LibrarySourceSerializer,
            403: NOT_STAFF,
            404: OpenApiResponse(description="No such library."),
        },
    )
    def get(self, request: Request, source_id: int) -> Response:
        return Response(
            LibrarySourceSerializer(_library_with_details(user=request.user, source_id=source_id)).data
        )

    @extend_schema(
        operation_id="catalog_libraries_destroy",
        summary="Remove a music library (staff)",
        description="Its files and scans are forgotten; its tracks stay in playlists, history and exports "
        "but leave new playlists. Refused (400) while a scan runs.",
        responses={
            204: None,
            400: ERROR_RESPONSE,
            403: NOT_STAFF,
            404: OpenApiResponse(description="No such library."),
        },
    )
    def delete(self, request: Request, source_id: int) -> Response:
        library = selectors.library_source_get(user=request.user, source_id=source_id)
        sources.library_source_remove(source_id=library.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LibraryScanCreateApi(APIView):
    required_scope = READ_WRITE

    permission_classes = LIBRARY_PERMISSIONS

    @extend_schema(
        operation_id="catalog_library_scans_create",
        summary="Scan a music library (staff)",
        description="Queues a scan, or returns the one already queued or running. After a cancelled or "
        "failed scan the new one resumes after its last path (`resume_after`).",
        request=None,
        responses={
            202: LibraryScanSerializer,
            400: ERROR_RESPONSE,
            403: NOT_STAFF,
            404: OpenApiResponse(description="No such library."),
        },
    )
    def post(self, request: Request, source_id: int) -> Response:
        library = selectors.library_source_get(user=request.user, source_id=source_id)
        if library.kind == LibrarySourceKind.SUBSONIC:
            scan = subsonic_services.subsonic_sync_request(
                source_id=library.pk, user=cast(User, request.user)
            )
        else:
            scan = sources.library_scan_request(source_id=library.pk, user=cast(User, request.user))
        return Response(LibraryScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)


class LibraryScanDetailApi(APIView):
    required_scope = READ_WRITE

    permission_classes = LIBRARY_PERMISSIONS

    @extend_schema(
        operation_id="catalog_library_scans_retrieve",
        description=(
            "Files seen, added, changed and removed so far, and the scan's status; poll it while it runs. "
            "Staff only."
        ),
        summary="One library scan, with live progress (staff)",
        responses={
            200: LibraryScanSerializer,
            403: NOT_STAFF,
            404: OpenApiResponse(description="No such scan."),
        },
    )
    def get(self, request: Request, scan_id: int) -> Response:
        return Response(
            LibraryScanSerializer(selectors.library_scan_get(user=request.user, scan_id=scan_id)).data
        )


class LibraryScanCancelApi(APIView):
    required_scope = READ_WRITE

    permission_classes = LIBRARY_PERMISSIONS

    @extend_schema(
        operation_id="catalog_library_scans_cancel",
        summary="Cancel a library scan (staff)",
        description="A queued scan is cancelled at once; a running one stops at its next heartbeat "
        "(`cancel_requested` is true until then). 400 if it has already finished.",
        request=None,
        responses={
            200: LibraryScanSerializer,
            400: ERROR_RESPONSE,
            403: NOT_STAFF,
            404: OpenApiResponse(description="No such scan."),
        },
    )
    def post(self, request: Request, scan_id: int) -> Response:
        scan = selectors.library_scan_get(user=request.user, scan_id=scan_id)
        return Response(LibraryScanSerializer(sources.library_scan_cancel(scan_id=scan.pk)).data)
