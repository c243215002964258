"""Listener pages: the prompt box, a playlist with its tracks and reasons, live progress, refine,
intent editing, version history, settings, export. Thin: forms in, a service or selector call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from accounts.consent import ConsentRequired
from accounts.requests import request_user
from catalog.playback import playable_tracks
from catalog.selectors import subsonic_link_get, subsonic_links_for_user
from catalog.stream_links import signed_stream_path
from catalog.subsonic_services import subsonic_pushes_for_user
from config.errors import ApplicationError
from feedback.selectors import track_reactions
from playlists import dislikes, selectors, services
from playlists.exporting import EXPORT_FORMATS, AudioLocations
from playlists.forms import PlaylistSettingsForm, PromptForm, RefineForm
from playlists.intent_edit import intent_edit_apply, intent_panel
from playlists.models import Playlist, PlaylistItem, PlaylistVersion
from playlists.page_context import listener_page_context
from playlists.refresh_notices import refresh_history, refresh_notices, refresh_notices_dismiss
from playlists.replies import prompt_reply
from playlists.track_edits import playlist_track_edit, track_search

EXAMPLE_PROMPTS = (
    "relaxing evening jazz",
    "upbeat 5K run that eases into calm songs",
    "90s hip hop, no gangsta rap",
    "rainy sunday acoustic, 20 songs",
    "an hour of focus music without vocals",
    "latin party like Bad Bunny",
    "sad indie for a long drive",
    "80s synthpop I haven't heard",
)
POLL_SECONDS = 1
# The stages generation reports (playlists.composer's on_stage), as a listener reads them.
STAGES = (
    ("parse", "Understanding the prompt"),
    ("candidates", "Finding candidates"),
    ("score", "Scoring"),
    ("rerank", "Balancing artists and variety"),
    ("sequence", "Ordering for flow"),
    ("explain", "Explaining the picks"),
)


@dataclass(frozen=True)
class StageView:
    name: str
    label: str
    done: bool


def _stages(version: PlaylistVersion | None) -> list[StageView]:
    names = [name for name, _ in STAGES]
    current = names.index(version.stage) if version and version.stage in names else -1
    return [StageView(name, label, index < current) for index, (name, label) in enumerate(STAGES)]


def _duration_text(items: list[PlaylistItem]) -> str:
    total_ms = sum(item.track.duration_ms or 0 for item in items)
    if not total_ms:
        return ""
    minutes = round(total_ms / 60000)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, PromptForm())


def _home(request: HttpRequest, form: PromptForm, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "examples": EXAMPLE_PROMPTS,
        "playlists": selectors.playlist_list(user=request_user(request))[:50],
        "refresh_notices": refresh_notices(user=request_user(request)),
    }
    return render(request, "playlists/home.html", context, status=status)


@login_required
@require_POST
def refresh_notices_hide(request: HttpRequest) -> HttpResponse:
    refresh_notices_dismiss(user=request_user(request))
    return redirect("playlists:home")


@login_required
@require_POST
def playlist_create(request: HttpRequest) -> HttpResponse:
    form = PromptForm(request.POST)
    if not form.is_valid():
        return _home(request, form, status=400)
    try:
        playlist = services.playlist_create(
            owner=request_user(request),
            prompt=form.cleaned_data["prompt"],
            size=form.cleaned_data["size"],
            new_only=form.cleaned_data["new_only"],
        )
    except ApplicationError as error:
        form.add_error("prompt", error.message)
        return _home(request, form, status=400)
    return redirect("playlists:detail", playlist_id=playlist.pk)


@login_required
@require_GET
def playlist_detail(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    shown = selectors.version_get(playlist=playlist, number=selectors.version_number_param(request.GET))
    return render(request, "playlists/detail.html", _detail_context(playlist, shown))


def _server_links(playlist: Playlist) -> list[Any]:
    """The owner's media server links, each with ``current_push`` (this playlist's copy, or None)."""
    pushes = {
        push.link_id: push for push in subsonic_pushes_for_user(user=playlist.owner, playlist_id=playlist.pk)
    }
    links = subsonic_links_for_user(user=playlist.owner)
    for link in links:
        link.current_push = pushes.get(link.pk)  # type: ignore[attr-defined]
    return links


def _detail_context(playlist: Playlist, shown: PlaylistVersion | None, **extra: Any) -> dict[str, Any]:
    latest = selectors.version_latest(playlist=playlist)
    items = selectors.version_items(version=shown) if shown else []
    reactions = track_reactions(user=playlist.owner, track_ids=[item.track_id for item in items])
    playable = playable_tracks(track_ids=[item.track_id for item in items])
    for item in items:
        item.reaction = reactions.get(item.track_id, "")  # type: ignore[attr-defined]
        item.playable = playable.get(item.track_id)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "playlist": playlist,
        "version": shown,
        "latest": latest,
        "stages": _stages(latest),
        "items": items,
        "top_score": max((item.score for item in items), default=1.0),
        "playable_count": len(playable),
        "total_duration": _duration_text(items),
        "changes": selectors.version_changes(playlist=playlist),
        "panel": intent_panel(shown.intent if shown and shown.intent else playlist.intent),
        "reply_lines": prompt_reply(shown.intent if shown else None).lines(),
        "refine_form": RefineForm(),
        "settings_form": PlaylistSettingsForm(initial={"name": playlist.name, "refresh": playlist.refresh}),
        "export_formats": list(EXPORT_FORMATS),
        "server_links": _server_links(playlist),
        "poll_seconds": POLL_SECONDS,
    }
    context.update(
        listener_page_context(
            playlist=playlist,
            shown=shown,
            latest=latest,
            items=items,
            sliders=context["panel"].sliders,
            changes=context["changes"],
        )
    )
    context["refresh_history"] = refresh_history(playlist=playlist)
    context.update(extra)
    return context


@login_required
@require_GET
def playlist_status(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """The progress fragment polled while the newest version generates; reloads the page when done."""
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    latest = selectors.version_latest(playlist=playlist)
    response = render(
        request,
        "playlists/detail.html#progress",
        {"playlist": playlist, "latest": latest, "stages": _stages(latest), "poll_seconds": POLL_SECONDS},
    )
    if latest is not None and latest.is_finished and request.GET.get("waiting") == str(latest.number):
        response["HX-Refresh"] = "true"
    return response


def _version_action(request: HttpRequest, playlist: Playlist, action: Any) -> HttpResponse:
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("playlists:detail", playlist_id=playlist.pk)


@login_required
@require_POST
def playlist_refine(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    form = RefineForm(request.POST)
    if not form.is_valid():
        shown = selectors.version_get(playlist=playlist)
        return render(
            request, "playlists/detail.html", _detail_context(playlist, shown, refine_form=form), status=400
        )
    return _version_action(
        request,
        playlist,
        lambda: services.playlist_refine(playlist=playlist, change=form.cleaned_data["change"]),
    )


@login_required
@require_POST
def playlist_intent_edit(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """Regenerate from the Intent with a chip removed or the sliders moved."""
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)

    def edit() -> None:
        intent, summary = intent_edit_apply(playlist.intent, request.POST)
        services.playlist_intent_edit(playlist=playlist, intent=intent, summary=summary)

    return _version_action(request, playlist, edit)


@login_required
@require_POST
def playlist_regenerate(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    return _version_action(request, playlist, lambda: services.playlist_regenerate(playlist=playlist))


@login_required
@require_POST
def track_edit(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """One track changed by hand (remove, move, replace, more like this, add): a new version."""
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)

    def edit() -> None:
        version = playlist_track_edit(
            playlist=playlist,
            edit=request.POST.get("edit", ""),
            position=_int_or_none(request.POST.get("position")),
            track_id=_int_or_none(request.POST.get("track")),
            to=_int_or_none(request.POST.get("to")),
        )
        messages.success(request, f"{version.change}.")

    return _version_action(request, playlist, edit)


@login_required
@require_POST
def track_dislike(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """Dislike a track from the playlist page; htmx swaps in its actions with an Undo at once."""
    return _reaction_change(
        request,
        playlist_id,
        lambda item: dislikes.track_dislike(user=request_user(request), item=item),
        done="Won't be suggested again.",
    )


@login_required
@require_POST
def dislike_undo(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """Take back a dislike from the playlist page: the track may be suggested again."""
    return _reaction_change(
        request,
        playlist_id,
        lambda item: dislikes.track_dislike_undo(user=request_user(request), track_id=item.track_id),
        done="Dislike undone: the track may be suggested again.",
    )


def _reaction_change(
    request: HttpRequest, playlist_id: int, change: Callable[[PlaylistItem], object], *, done: str
) -> HttpResponse:
    """Find the track's row (``version``, ``track`` posted), run ``change`` on it, and answer an
    htmx request with the row's actions re-rendered (what happened in their status line), a
    plain form post with a message on the playlist page."""
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    htmx = bool(getattr(request, "htmx", False))
    try:
        item = dislikes.playlist_item_find(
            playlist=playlist,
            version_number=_int_or_none(request.POST.get("version")),
            track_id=_int_or_none(request.POST.get("track")),
        )
    except ApplicationError as error:
        if htmx:  # nothing to re-render: leave the row as it is
            return HttpResponse(
                error.message, status=400, content_type="text/plain", headers={"HX-Reswap": "none"}
            )
        messages.error(request, error.message)
        return redirect("playlists:detail", playlist_id=playlist.pk)
    try:
        change(item)
        outcome, status = done, 200
    except ApplicationError as error:
        outcome, status = error.message, error.status_code
    except ConsentRequired as error:
        outcome, status = str(error.detail), 403
    if not htmx:
        (messages.success if status == 200 else messages.error)(request, outcome)
        return redirect("playlists:detail", playlist_id=playlist.pk)
    item.reaction = track_reactions(user=request_user(request), track_ids=[item.track_id]).get(  # type: ignore[attr-defined]
        item.track_id, ""
    )
    context = {"playlist": playlist, "version": item.version, "item": item, "feedback_status": outcome}
    return render(request, "feedback/_track_actions.html", context, status=status)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise ApplicationError(f"“{value}” is not a number.") from None


@login_required
@require_GET
def track_add_search(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """Tracks to add, found by words of their title, album or artist (the page's search box)."""
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    query = request.GET.get("q", "").strip()[:200]
    results = track_search(playlist=playlist, query=query)
    shown = selectors.version_get(playlist=playlist)
    context = _detail_context(playlist, shown, add_query=query, add_results=results, add_searched=bool(query))
    template = "playlists/detail.html#add-track" if request.htmx else "playlists/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_POST
def version_retry(request: HttpRequest, playlist_id: int, number: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    version = selectors.version_get(playlist=playlist, number=number)
    assert version is not None
    return _version_action(request, playlist, lambda: services.playlist_version_retry(version=version))


@login_required
@require_POST
def playlist_settings(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    form = PlaylistSettingsForm(request.POST)
    if not form.is_valid():
        shown = selectors.version_get(playlist=playlist)
        context = _detail_context(playlist, shown, settings_form=form, settings_open=True)
        return render(request, "playlists/detail.html", context, status=400)

    def update() -> None:
        services.playlist_update(
            playlist=playlist, name=form.cleaned_data["name"], refresh=form.cleaned_data["refresh"]
        )
        messages.success(request, "Saved.")

    return _version_action(request, playlist, update)


@login_required
@require_POST
def playlist_delete(request: HttpRequest, playlist_id: int) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    name = playlist.name
    outcome = services.playlist_delete(
        playlist=playlist, delete_pushed=request.POST.get("delete_pushed") == "on"
    )
    if outcome.failed:
        messages.warning(request, f"Deleted “{name}”.{outcome.note()}")
    else:
        messages.success(request, f"Deleted “{name}”.{outcome.note()}")
    return redirect("playlists:home")


@login_required
@require_POST
def playlist_push(request: HttpRequest, playlist_id: int) -> HttpResponse:
    """Push the playlist to one of the listener's linked media server accounts."""
    user = request_user(request)
    playlist = selectors.playlist_get(user=user, playlist_id=playlist_id)
    try:
        link_id = int(request.POST.get("link", ""))
    except ValueError:
        raise Http404("No such media server link.") from None
    link = subsonic_link_get(user=user, link_id=link_id)
    try:
        push = services.playlist_push(playlist=playlist, link=link)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        missing = f" ({push.songs_missing} track{'s' if push.songs_missing != 1 else ''} not on that server)"
        messages.success(
            request,
            f"Pushed “{push.name}” to {link.source.name}: {push.songs_pushed} songs"
            f"{missing if push.songs_missing else ''}. New versions follow by themselves.",
        )
    return redirect("playlists:detail", playlist_id=playlist.pk)


@login_required
@require_GET
def playlist_export(request: HttpRequest, playlist_id: int, export_format: str) -> HttpResponse:
    playlist = selectors.playlist_get(user=request_user(request), playlist_id=playlist_id)
    return export_response(request, playlist, export_format)


def export_response(request: HttpRequest, playlist: Playlist, export_format: str) -> HttpResponse:
    """The playlist file as a download (the page and the API both serve it).

    ``?paths=relative`` locates the listener's own audio by library-relative file paths instead
    of signed stream URLs (valid for ``STREAM_LINK_TTL_HOURS``).
    """
    kind = EXPORT_FORMATS.get(export_format)
    if kind is None:
        raise Http404(f"No export format “{export_format}”; use {', '.join(EXPORT_FORMATS)}.")
    paths = request.GET.get("paths", AudioLocations.STREAM)
    if paths not in set(AudioLocations):
        return HttpResponse(
            f"paths must be one of: {', '.join(AudioLocations)}.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    version = selectors.version_get(playlist=playlist, number=selectors.version_number_param(request.GET))
    url = request.build_absolute_uri(reverse("playlists:detail", args=[playlist.pk]))
    ttl_seconds = settings.STREAM_LINK_TTL_HOURS * 3600

    def stream_url_for(track_id: int) -> str:
        return request.build_absolute_uri(signed_stream_path(track_id=track_id, ttl_seconds=ttl_seconds))

    try:
        content = selectors.playlist_export(
            playlist=playlist,
            version=version,
            kind=kind,
            url=url,
            locations=AudioLocations(paths),
            stream_url_for=stream_url_for,
        )
    except ApplicationError as error:
        return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=kind.content_type)
    filename = f"{slugify(playlist.name) or 'playlist'}.{kind.extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
