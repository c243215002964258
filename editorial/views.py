"""The desk's pages (curators only) and what listeners see of it: published editorial
playlists and the report action. Thin: a form in, one service or selector call, a render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import curator_required
from accounts.requests import request_user
from catalog.selectors import track_list
from config.errors import ApplicationError
from editorial import playlist_services, review_services, selectors, services
from editorial.charts import bar_chart, line_chart
from editorial.forms import (
    AuditFilterForm,
    BlockForm,
    BoostForm,
    DecisionForm,
    EditorialPlaylistForm,
    PinForm,
    PlaylistEditForm,
    ReportForm,
    ThemeForm,
)
from editorial.models import ArtistBoost, Block, EditorialStatus, QueueReason, ReviewItem, ThemePin
from playlists import selectors as playlist_selectors

AUDIT_PAGE_SIZE = 50
TRACK_SEARCH_RESULTS = 10


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def _form_error(form: Any) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _act(request: HttpRequest, action: Callable[[], object], *, done: str) -> bool:
    """Run one service call for a plain (non-htmx) form; its outcome becomes a message."""
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


def _track_results(request: HttpRequest) -> list:
    text = request.GET.get("q", "").strip()
    return list(track_list(text=text)[:TRACK_SEARCH_RESULTS]) if text else []


# --- dashboards ------------------------------------------------------------------------------


@curator_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    prompts = selectors.top_prompts()
    exposure = selectors.artist_exposure()
    history = selectors.queue_history()
    context = {
        "counts": selectors.queue_counts(),
        "reasons": QueueReason.choices,
        "prompts_chart": bar_chart([(row.label, row.count, str(row.count)) for row in prompts]),
        "skip_chart": bar_chart(
            [
                (row.prompt, row.skip_rate, f"{row.skip_rate:.0%} of {row.ended} ended")
                for row in selectors.prompt_skip_rates()
            ]
        ),
        "themes_chart": bar_chart(
            [(row.label, row.count, str(row.count)) for row in selectors.theme_matches()]
        ),
        "exposure": exposure,
        "exposure_chart": bar_chart(
            [(row.artist.name, row.exposure.count, f"{row.exposure.share:.1%}") for row in exposure.top]
        ),
        "queue_chart": line_chart(history.labels, history.series),
    }
    return render(request, "editorial/home.html", context)


# --- the review queue ------------------------------------------------------------------------


@curator_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    reason = request.GET.get("reason", "")
    reason = reason if reason in QueueReason.values else ""
    context = {
        "items": selectors.review_queue(reason=reason)[:100],
        "counts": selectors.queue_counts(),
        "reasons": QueueReason.choices,
        "reason": reason,
    }
    template = "editorial/queue.html#queue-list" if _is_htmx(request) else "editorial/queue.html"
    return render(request, template, context)


@curator_required
def review(request: HttpRequest, item_id: int, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"review": selectors.review_context(item_id=item_id), "error": error}
    template = "editorial/review.html#review-tracks" if _is_htmx(request) else "editorial/review.html"
    return render(request, template, context, status=status)


@curator_required
@require_POST
def review_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=item_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return review(request, item_id, error=_form_error(form), status=400)
    try:
        review_services.review_decide(
            actor=request_user(request),
            item=item,
            track_id=form.cleaned_data["track_id"],
            verdict=form.cleaned_data["verdict"],
        )
    except ApplicationError as error:
        return review(request, item_id, error=error.message, status=400)
    return review(request, item_id) if _is_htmx(request) else redirect("desk:review", item_id=item_id)


@curator_required
@require_POST
def review_resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=item_id)
    _act(
        request,
        lambda: review_services.review_resolve(actor=request_user(request), item=item),
        done="Review closed.",
    )
    return redirect("desk:queue")


# --- themes, pins, blocks, boosts ------------------------------------------------------------


@curator_required
def themes(request: HttpRequest) -> HttpResponse:
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            theme = services.theme_create(
                actor=request_user(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                example_prompts=form.examples(),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Theme “{theme.name}” created.")
            return redirect("desk:theme", theme_id=theme.pk)
    status = 400 if form.errors else 200
    return render(
        request, "editorial/themes.html", {"themes": selectors.theme_list(), "form": form}, status=status
    )


@curator_required
def theme(request: HttpRequest, theme_id: int) -> HttpResponse:
    current = selectors.theme_get(theme_id=theme_id)
    form = ThemeForm(
        request.POST or None,
        initial={
            "name": current.name,
            "description": current.description,
            "example_prompts": "\n".join(current.example_prompts),
            "is_active": current.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        updated = _act(
            request,
            lambda: services.theme_update(
                actor=request_user(request),
                theme=current,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                example_prompts=form.examples(),
                is_active=form.cleaned_data["is_active"],
            ),
            done="Theme saved.",
        )
        if updated:
            return redirect("desk:theme", theme_id=theme_id)
    context = {
        "theme": current,
        "form": form,
        "pins": selectors.theme_pins(theme=current),
        "blocks": selectors.block_list(theme=current),
        "boosts": current.boosts.select_related("artist").order_by("status", "artist__name"),
        "pin_form": PinForm(),
        "block_form": BlockForm(),
        "boost_form": BoostForm(),
        "results": _track_results(request),
        "now": timezone.now(),
    }
    return render(request, "editorial/theme.html", context)


@curator_required
@require_POST
def pin_create(request: HttpRequest, theme_id: int) -> HttpResponse:
    current = selectors.theme_get(theme_id=theme_id)
    form = PinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
    else:
        data = form.cleaned_data
        _act(
            request,
            lambda: services.pin_create(
                actor=request_user(request),
                theme=current,
                track_id=data["track_id"],
                position=data["position"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            ),
            done="Track pinned.",
        )
    return redirect("desk:theme", theme_id=theme_id)


@curator_required
@require_POST
def pin_delete(request: HttpRequest, pin_id: int) -> HttpResponse:
    pin = get_object_or_404(ThemePin, pk=pin_id)
    _act(request, lambda: services.pin_delete(actor=request_user(request), pin=pin), done="Pin removed.")
    return redirect("desk:theme", theme_id=pin.theme_id)


@curator_required
@require_POST
def boost_create(request: HttpRequest, theme_id: int) -> HttpResponse:
    current = selectors.theme_get(theme_id=theme_id)
    form = BoostForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
    else:
        _act(
            request,
            lambda: services.boost_create(
                actor=request_user(request),
                theme=current,
                artist_id=form.cleaned_data["artist_id"],
                note=form.cleaned_data["note"],
            ),
            done="Artist boosted.",
        )
    return redirect("desk:theme", theme_id=theme_id)


@curator_required
@require_POST
def boost_change(request: HttpRequest, boost_id: int) -> HttpResponse:
    boost = get_object_or_404(ArtistBoost, pk=boost_id)
    actions = {
        "accept": (services.boost_accept, "Boost accepted."),
        "delete": (services.boost_delete, "Boost removed."),
    }
    action = actions.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse("Unknown action: use accept or delete.", status=400, content_type="text/plain")
    change, done = action
    _act(request, lambda: change(actor=request_user(request), boost=boost), done=done)
    return redirect("desk:theme", theme_id=boost.theme_id)


@curator_required
def blocks(request: HttpRequest) -> HttpResponse:
    """Global blocks (and, with ``theme`` in the form, a theme's)."""
    form = BlockForm(request.POST or None)
    theme_id = request.POST.get("theme", "")
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    valid_id = theme_id.isascii() and theme_id.isdigit() and len(theme_id) <= 18
    scope = selectors.theme_get(theme_id=int(theme_id)) if valid_id else None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            _act(
                request,
                lambda: services.block_create(
                    actor=request_user(request),
                    reason=data["reason"],
                    track_id=data["track_id"],
                    artist_id=data["artist_id"],
                    theme=scope,
                ),
                done="Blocked.",
            )
        else:
            messages.error(request, _form_error(form))
        return redirect("desk:theme", theme_id=scope.pk) if scope else redirect("desk:blocks")
    context = {
        "blocks": selectors.block_list(global_only=True),
        "form": form,
        "results": _track_results(request),
    }
    return render(request, "editorial/blocks.html", context)


@curator_required
@require_POST
def block_delete(request: HttpRequest, block_id: int) -> HttpResponse:
    block = get_object_or_404(Block, pk=block_id)
    _act(
        request, lambda: services.block_delete(actor=request_user(request), block=block), done="Block lifted."
    )
    return redirect("desk:theme", theme_id=block.theme_id) if block.theme_id else redirect("desk:blocks")


# --- editorial playlists ---------------------------------------------------------------------


@curator_required
def playlists(request: HttpRequest) -> HttpResponse:
    form = EditorialPlaylistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            playlist = playlist_services.editorial_playlist_create(
                actor=request_user(request),
                name=form.cleaned_data["name"],
                prompt=form.cleaned_data["prompt"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("desk:playlist", playlist_id=playlist.pk)
    context = {"playlists": selectors.editorial_playlist_list(published_only=False), "form": form}
    return render(request, "editorial/playlists.html", context, status=400 if form.errors else 200)


@curator_required
def playlist_edit(
    request: HttpRequest, playlist_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    playlist = selectors.editorial_playlist_get(playlist_id=playlist_id, published_only=False)
    context = {
        "playlist": playlist,
        "items": selectors.editorial_items(playlist=playlist),
        "error": error,
        "results": _track_results(request),
        "query": request.GET.get("q", ""),
        "building": playlist.status == EditorialStatus.BUILDING,
    }
    template = "editorial/playlist_edit.html#editor" if _is_htmx(request) else "editorial/playlist_edit.html"
    return render(request, template, context, status=status)


PLAYLIST_EDITS: dict[str, Callable[..., object]] = {
    "add": lambda actor, playlist, data: playlist_services.editorial_playlist_track_add(
        actor=actor,
        playlist=playlist,
        revision=data["revision"],
        track_id=data["track_id"],
        position=data["position"],
    ),
    "remove": lambda actor, playlist, data: playlist_services.editorial_playlist_track_remove(
        actor=actor, playlist=playlist, revision=data["revision"], track_id=data["track_id"]
    ),
    "move": lambda actor, playlist, data: playlist_services.editorial_playlist_track_move(
        actor=actor,
        playlist=playlist,
        revision=data["revision"],
        track_id=data["track_id"],
        position=data["position"] or 1,
    ),
    "pin": lambda actor, playlist, data: playlist_services.editorial_playlist_track_pin(
        actor=actor, playlist=playlist, revision=data["revision"], track_id=data["track_id"], pinned=True
    ),
    "unpin": lambda actor, playlist, data: playlist_services.editorial_playlist_track_pin(
        actor=actor, playlist=playlist, revision=data["revision"], track_id=data["track_id"], pinned=False
    ),
    "rename": lambda actor, playlist, data: playlist_services.editorial_playlist_update(
        actor=actor,
        playlist=playlist,
        revision=data["revision"],
        name=data["name"],
        description=data["description"],
    ),
    "publish": lambda actor, playlist, data: playlist_services.editorial_playlist_publish(
        actor=actor, playlist=playlist, revision=data["revision"], publish=True
    ),
    "unpublish": lambda actor, playlist, data: playlist_services.editorial_playlist_publish(
        actor=actor, playlist=playlist, revision=data["revision"], publish=False
    ),
    "rebuild": lambda actor, playlist, data: playlist_services.editorial_playlist_rebuild(
        actor=actor, playlist=playlist, revision=data["revision"]
    ),
}


@curator_required
@require_POST
def playlist_change(request: HttpRequest, playlist_id: int, edit: str) -> HttpResponse:
    """Every hand edit of an editorial playlist: one service call made on the revision the
    curator saw; a stale revision answers “someone else changed this; reload”."""
    playlist = selectors.editorial_playlist_get(playlist_id=playlist_id, published_only=False)
    form = PlaylistEditForm(request.POST)
    if edit not in PLAYLIST_EDITS or not form.is_valid():
        return playlist_edit(request, playlist_id, error=_form_error(form) or "Unknown edit.", status=400)
    if edit in ("add", "remove", "move", "pin", "unpin") and not form.cleaned_data["track_id"]:
        return playlist_edit(request, playlist_id, error="Say which track.", status=400)
    try:
        PLAYLIST_EDITS[edit](request_user(request), playlist, form.cleaned_data)
    except ApplicationError as error:
        return playlist_edit(request, playlist_id, error=error.message, status=400)
    return (
        playlist_edit(request, playlist_id)
        if _is_htmx(request)
        else redirect("desk:playlist", playlist_id=playlist_id)
    )


# --- the audit log ---------------------------------------------------------------------------


@curator_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    days = filters.get("days")
    entries = selectors.audit_list(
        actor=filters.get("actor", ""),
        action=filters.get("action", ""),
        target_type=filters.get("target_type", ""),
        since=timezone.now() - timedelta(days=days) if days else None,
    )
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "actions": selectors.audit_actions(), "query": query.urlencode()}
    return render(request, "editorial/audit.html", context)


# --- listeners: published editorial playlists and reports -----------------------------------


@login_required
@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    context = {"playlists": selectors.editorial_playlist_list(published_only=True)}
    return render(request, "editorial/published_list.html", context)


@login_required
@require_GET
def published_detail(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.editorial_playlist_get(playlist_id=playlist_id, published_only=True)
    context = {"playlist": playlist, "items": selectors.editorial_items(playlist=playlist)}
    return render(request, "editorial/published_detail.html", context)


@login_required
@require_POST
def report(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """A listener reports their playlist, or one track of it (another's playlist is a 404)."""
    playlist = playlist_selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    form = ReportForm(request.POST)
    track_id = form.cleaned_data["track_id"] if form.is_valid() else None
    context: dict[str, Any] = {"playlist": playlist, "track_id": track_id, "sent": False, "error": ""}
    if not form.is_valid():
        context["error"] = _form_error(form)
    else:
        try:
            review_services.report_create(
                reporter=request_user(request),
                playlist=playlist,
                track_id=track_id,
                reason=form.cleaned_data["reason"],
            )
            context["sent"] = True
        except ApplicationError as error:
            context["error"] = error.message
    if not _is_htmx(request):
        if context["sent"]:
            messages.success(request, "Thanks: a curator will look at it.")
        else:
            messages.error(request, context["error"])
        return redirect("playlists:detail", playlist_id=playlist.pk)
    return render(request, "editorial/_report.html", context, status=200 if context["sent"] else 400)
