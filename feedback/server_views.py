"""The listener's "Your media servers" page: link their own account on a Subsonic source, then
scrobbles, starred-song imports and pushed playlists. Thin; another listener's link is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.consent import ConsentRequired, consent_allows
from accounts.models import ConsentPurpose
from accounts.requests import request_user
from catalog import selectors as catalog_selectors
from catalog import subsonic_services
from catalog.forms import SubsonicLinkForm
from config.errors import ApplicationError
from feedback.subsonic_history import subsonic_history_import_request


def _render(
    request: HttpRequest, *, forms: dict[int, SubsonicLinkForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request_user(request)
    links = catalog_selectors.subsonic_links_for_user(user=user)
    linked = {link.source_id for link in links}
    sources = catalog_selectors.subsonic_sources_for_linking(user=user)
    forms = forms or {}
    unlinked = [
        (source, forms.get(source.pk) or SubsonicLinkForm(prefix=f"s{source.pk}"))
        for source in sources
        if source.pk not in linked
    ]
    context = {
        "links": links,
        "unlinked": unlinked,
        "history_allowed": consent_allows(user, ConsentPurpose.LISTENING_HISTORY),
    }
    return render(request, "feedback/servers.html", context, status=status)


@login_required
@require_GET
def servers(request: HttpRequest) -> HttpResponse:
    return _render(request)


@sensitive_post_parameters()  # the listener's server password or API key
@login_required
@require_POST
def server_link(request: HttpRequest, source_id: int) -> HttpResponse:
    source = catalog_selectors.subsonic_source_get_for_linking(user=request.user, source_id=source_id)
    form = SubsonicLinkForm(request.POST, prefix=f"s{source.pk}")
    if form.is_valid():
        try:
            subsonic_services.subsonic_link_add(
                user=request_user(request),
                source_id=source.pk,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                api_key=form.cleaned_data["api_key"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Linked your account on “{source.name}”.")
            return redirect("feedback:servers")
    return _render(request, forms={source.pk: form}, status=400)


@login_required
@require_GET
def server_link_detail(request: HttpRequest, link_id: int) -> HttpResponse:
    link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
    return render(request, "feedback/server_link.html", {"link": link, "pushes": list(link.pushes.all())})


@login_required
@require_POST
def server_link_update(request: HttpRequest, link_id: int) -> HttpResponse:
    link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
    subsonic_services.subsonic_link_update(link=link, scrobble=request.POST.get("scrobble") == "on")
    messages.success(request, "Saved.")
    return redirect("feedback:server_link", link_id=link.pk)


@login_required
@require_POST
def server_unlink(request: HttpRequest, link_id: int) -> HttpResponse:
    link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
    outcome = subsonic_services.subsonic_link_remove(
        link=link, delete_pushed=request.POST.get("delete_pushed") == "on"
    )
    unlinked = f"Unlinked “{link.source.name}”; Segue no longer holds your credentials."
    if outcome.failed:
        messages.warning(request, f"{unlinked}{outcome.note()}")
    else:
        messages.success(request, f"{unlinked}{outcome.note()}")
    return redirect("feedback:servers")


@login_required
@require_POST
def server_history_import(request: HttpRequest, link_id: int) -> HttpResponse:
    link = catalog_selectors.subsonic_link_get(user=request.user, link_id=link_id)
    try:
        subsonic_history_import_request(user=request_user(request), link=link)
    except ConsentRequired:
        messages.error(request, "Importing plays needs your listening-history consent (Privacy).")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Import of your starred songs and play counts queued; the report appears here."
        )
    return redirect("feedback:server_link", link_id=link.pk)
