"""Accounts and privacy REST API: thin views over the accounts selectors and services."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import exports, selectors, services
from accounts.authentication import token_from_request
from accounts.consent import consent_state, policy_current
from accounts.models import ConsentMethod, ConsentPurpose, TokenScope, User
from accounts.permissions import READ_WRITE, IsCurator, TokenHasScope
from accounts.pseudonyms import pseudonym_for
from accounts.requests import request_user
from accounts.serializers import (
    ConsentStateSerializer,
    DataExportSerializer,
    HeldKindSerializer,
    TokenCreatedSerializer,
    TokenSerializer,
)
from config.api_fields import StrictBooleanField, StrictCharField

NOT_FOUND = OpenApiResponse(description="No such object among yours.")


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


def _consent_payload(user: User) -> dict[str, object]:
    policy = policy_current()
    return {
        "policy_version": policy.version if policy else None,
        "consents": consent_state(user, policy=policy),
        "history": selectors.consent_history(user=user, limit=50),
    }


class MeApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="me",
        description=(
            "The user behind the session or token: e-mail, display name, roles, and the pseudonym that "
            "stands for them in analytics tables."
        ),
        summary="Who the request is authenticated as",
        responses={
            200: inline_serializer(
                "Me",
                {
                    "email": serializers.EmailField(),
                    "display_name": serializers.CharField(),
                    "roles": serializers.ListField(child=serializers.CharField()),
                    "pseudonym": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        return Response(
            {
                "email": user.email,
                "display_name": user.display_name,
                "roles": sorted(user.groups.values_list("name", flat=True)),
                "pseudonym": pseudonym_for(user),
            }
        )


class ConsentApi(APIView):
    required_scope = {**READ_WRITE, "POST": TokenScope.CONSENT}

    # Named apart from other views' input serializers: the OpenAPI component takes the class name.
    class ConsentChangeSerializer(serializers.Serializer):
        purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
        # Required in form posts too: a missing form boolean would withdraw the consent silently.
        granted = StrictBooleanField(help_text="true grants the purpose, false withdraws it.")

    @extend_schema(
        operation_id="consents_retrieve",
        description=(
            "For each purpose whether you grant it under the current policy (null: not answered yet), and "
            "the history of your answers."
        ),
        summary="My consents under the current policy, and their history",
        responses={200: ConsentStateSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(ConsentStateSerializer(_consent_payload(request_user(request))).data)

    @extend_schema(
        operation_id="consents_update",
        summary="Grant or withdraw one purpose",
        description="Takes effect on the next request. Recorded in the append-only consent ledger.",
        request=ConsentChangeSerializer,
        responses={200: ConsentStateSerializer, 400: OpenApiResponse(description="Unknown purpose.")},
    )
    def post(self, request: Request) -> Response:
        data = self.ConsentChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        change = services.consent_grant if data.validated_data["granted"] else services.consent_withdraw
        change(user=user, purpose=data.validated_data["purpose"], method=ConsentMethod.API)
        return Response(ConsentStateSerializer(_consent_payload(user)).data)


class PrivacySummaryApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="privacy_summary",
        description=(
            "A count of the records Segue holds about you, per kind of record (`app_label.model`, with a "
            "readable label)."
        ),
        summary="What Segue holds about me: a count per kind of record",
        responses={200: HeldKindSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            HeldKindSerializer(selectors.privacy_counts(user=request_user(request)), many=True).data
        )


class ExportListCreateApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="exports_list",
        description="Your recent data exports with their status; a ready one downloads until it expires.",
        summary="My recent data exports",
        responses={200: DataExportSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            DataExportSerializer(selectors.data_export_list(user=request_user(request)), many=True).data
        )

    @extend_schema(
        operation_id="exports_create",
        summary="Ask for a ZIP of all my data",
        description="Built in the background; poll the export until `status` is `ready`, then fetch "
        "`download_url` (valid for DATA_EXPORT_TTL_HOURS). An export already under way is returned.",
        request=None,
        responses={202: DataExportSerializer},
    )
    def post(self, request: Request) -> Response:
        export = exports.data_export_request(user=request_user(request))
        return Response(DataExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="exports_retrieve",
        description=(
            "The export's status; once `ready` it downloads from its `download` URL until it expires."
        ),
        summary="One of my data exports",
        responses={200: DataExportSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, export_id: int) -> Response:
        export = selectors.data_export_get(user=request_user(request), export_id=export_id)
        return Response(DataExportSerializer(export).data)


class ExportDownloadApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="exports_download",
        description=(
            "The ZIP of all your data as JSON files. Answers 410 while the export is not ready, after it "
            "failed, or once it expired."
        ),
        summary="Download an export's ZIP",
        responses={
            (200, "application/zip"): OpenApiResponse(description="The ZIP file."),
            404: NOT_FOUND,
            410: OpenApiResponse(description="Expired (or not ready): ask for a new export."),
        },
    )
    def get(self, request: Request, export_id: int) -> FileResponse:
        export = selectors.data_export_get(user=request_user(request), export_id=export_id)
        path, problem = selectors.data_export_file(export=export)
        if path is None:
            raise Gone(problem)
        return FileResponse(open(path, "rb"), as_attachment=True, filename=f"segue-data-{export.pk}.zip")


class TokenListCreateApi(APIView):
    required_scope = READ_WRITE

    class TokenCreateSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=TokenScope.choices), min_length=1
        )

    @extend_schema(
        operation_id="tokens_list",
        description=(
            "Your personal access tokens with their names, scopes, last use and revocation; the secret is "
            "shown only once, when a token is created."
        ),
        summary="My API tokens",
        responses={200: TokenSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(TokenSerializer(selectors.token_list(user=request_user(request)), many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        summary="Create an API token (its value is in this response only)",
        description="Called with a token, the new token's scopes must be among the caller's own.",
        request=TokenCreateSerializer,
        responses={
            201: TokenCreatedSerializer,
            400: OpenApiResponse(description="Too many active tokens (revoke one first), or bad fields."),
            403: OpenApiResponse(description="Scopes beyond the caller's."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caller = token_from_request(request)
        if caller is not None and not set(data.validated_data["scopes"]) <= set(caller.scopes):
            extra = sorted(set(data.validated_data["scopes"]) - set(caller.scopes))
            raise PermissionDenied(
                f"A token can only create tokens within its own scopes; this one lacks {', '.join(extra)}."
            )
        token, raw = services.token_create(
            user=request_user(request), name=data.validated_data["name"], scopes=data.validated_data["scopes"]
        )
        token.token = raw  # type: ignore[attr-defined]
        response = Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class TokenRevokeApi(APIView):
    required_scope = READ_WRITE

    @extend_schema(
        operation_id="tokens_revoke",
        description="The token stops working at once.",
        summary="Revoke an API token",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        services.token_revoke(user=request_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountDeleteApi(APIView):
    required_scope = READ_WRITE

    class AccountDeleteSerializer(serializers.Serializer):
        password = StrictCharField(help_text="The account's password, to confirm.")

    @extend_schema(
        operation_id="account_delete",
        summary="Delete my account and erase all my data",
        description="The account is disabled at once (tokens revoked); a background job erases everything.",
        request=AccountDeleteSerializer,
        responses={
            202: None,
            400: OpenApiResponse(description="Wrong password."),
            429: OpenApiResponse(description="Too many wrong passwords: the account's login is locked."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.AccountDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_erasure_request(
            user=request_user(request), password=data.validated_data["password"], request=request._request
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class ConsentOverviewApi(APIView):
    required_scope = READ_WRITE

    permission_classes = [IsCurator, TokenHasScope]

    @extend_schema(
        operation_id="consent_overview",
        description=(
            "For each purpose, how many listeners grant it under the current policy. Counts only, never "
            "who. Curators only."
        ),
        summary="Curators: how many listeners grant each purpose (aggregates only)",
        responses={
            200: inline_serializer(
                "ConsentOverviewRow",
                {
                    "purpose": serializers.CharField(),
                    "label": serializers.CharField(),
                    "granted": serializers.IntegerField(),
                    "withdrawn": serializers.IntegerField(),
                },
                many=True,
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.consent_overview_counts())
