"""Catalog pages: browse and search, one track, the staff import desk and music libraries (htmx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from catalog import radio, selectors, sources, subsonic_services
from catalog.features import AUDIO_FEATURE_RANGES, UNIT_FEATURES
from catalog.forms import (
    FILTER_FEATURES,
    SLIDER_FEATURES,
    CatalogImportForm,
    LibrarySourceForm,
    SearchMode,
    SubsonicSourceForm,
    TrackFilterForm,
)
from catalog.import_jobs import catalog_import_request
from catalog.models import LibrarySourceKind, TagKind, Track
from config.errors import ApplicationError
from config.jobs import JobStatus
from config.uploads import content_length as upload_content_length

TRACKS_PER_PAGE = 50
SEMANTIC_RESULTS = 50
SIMILAR_TRACKS = 10
POPULAR_TAGS = {TagKind.GENRE: 24, TagKind.MOOD: 16}
PITCH_CLASSES = ("C", "C♯/D♭", "D", "D♯/E♭", "E", "F", "F♯/G♭", "G", "G♯/A♭", "A", "A♯/B♭", "B")
# Features drawn as bars on the track page, with how their value is written.
FEATURE_BARS = (*UNIT_FEATURES, "tempo", "loudness")


def _is_fragment_request(request: HttpRequest) -> bool:
    # A history restore (back button after the cache expired) needs the whole page.
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


# --- browse ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagChip:
    name: str
    track_count: int | None
    included: bool
    excluded: bool


@dataclass(frozen=True)
class Slider:
    feature: str
    low: float
    high: float
    step: float
    min_value: Any
    max_value: Any

    @property
    def label(self) -> str:
        return "Tempo (BPM)" if self.feature == "tempo" else self.feature.capitalize()

    @property
    def decimals(self) -> int:
        return 0 if self.feature == "tempo" else 2

    @property
    def min_text(self) -> str:
        return self._text(self.min_value)

    @property
    def max_text(self) -> str:
        return self._text(self.max_value)

    def _text(self, value: Any) -> str:
        try:
            return f"{float(value):.{self.decimals}f}"
        except (TypeError, ValueError):
            return str(value)


def _tag_chips(form: TrackFilterForm) -> list[tuple[str, list[TagChip]]]:
    """Popular genre and mood tags, plus any chosen tag that is not among them."""
    included = set(form.cleaned_data.get("tag") or ())
    excluded = set(form.cleaned_data.get("exclude_tag") or ())
    groups: list[tuple[str, list[TagChip]]] = []
    shown: set[str] = set()
    for kind, limit in POPULAR_TAGS.items():
        tags = selectors.tag_list_popular(kind=kind, limit=limit)
        chips = [
            TagChip(tag.name, tag.track_count, tag.name in included, tag.name in excluded)  # type: ignore[attr-defined]
            for tag in tags
            if tag.name not in shown
        ]
        shown.update(chip.name for chip in chips)
        if chips:
            groups.append((f"{TagKind(kind).label}s", chips))
    chosen = [
        TagChip(name, None, name in included, name in excluded)
        for name in sorted(included | excluded)
        if name not in shown
    ]
    if chosen:
        groups.insert(0, ("Chosen", chosen))
    return groups


def _sliders(form: TrackFilterForm) -> list[Slider]:
    sliders = []
    for feature in FILTER_FEATURES:
        low, high = AUDIO_FEATURE_RANGES[feature]
        min_value = form[f"min_{feature}"].value()
        max_value = form[f"max_{feature}"].value()
        sliders.append(
            Slider(
                feature=feature,
                low=low,
                high=high,
                step=1 if feature == "tempo" else 0.01,
                min_value=f"{low:g}" if min_value in (None, "") else min_value,
                max_value=f"{high:g}" if max_value in (None, "") else max_value,
            )
        )
    return sliders


@login_required
@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    """The catalog: search by meaning or by name, filtered; one URL for the page and its results."""
    form = TrackFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "tracks": [], "page": None}
    status = 200
    if form.is_valid():
        filters = form.to_filters()
        if form.by_meaning:
            tracks = selectors.track_semantic_search(text=form.text, k=SEMANTIC_RESULTS, filters=filters)
            context.update(tracks=tracks, by_meaning=True)
        else:
            text = form.text if form.cleaned_data["mode"] == SearchMode.NAME else ""
            paginator = Paginator(selectors.track_list(filters=filters, text=text), TRACKS_PER_PAGE)
            page = paginator.get_page(request.GET.get("page"))
            context.update(tracks=page.object_list, page=page)
    else:
        status = 400

    if _is_fragment_request(request):
        response = render(request, "catalog/browse.html#fragment", context, status=status)
    else:
        sliders = _sliders(form)
        context.update(
            tag_groups=_tag_chips(form),
            main_sliders=[slider for slider in sliders if slider.feature in SLIDER_FEATURES],
            more_sliders=[slider for slider in sliders if slider.feature not in SLIDER_FEATURES],
            more_sliders_open=any(
                request.GET.get(f"{side}_{feature}")
                for feature in FILTER_FEATURES
                if feature not in SLIDER_FEATURES
                for side in ("min", "max")
            ),
        )
        response = render(request, "catalog/browse.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- one track ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureBar:
    feature: str
    value_text: str
    percent: float


def _feature_bars(track: Track) -> list[FeatureBar]:
    bars = []
    for feature in FEATURE_BARS:
        value = getattr(track, feature)
        low, high = AUDIO_FEATURE_RANGES[feature]
        if value is None:
            bars.append(FeatureBar(feature, "unknown", 0.0))
            continue
        percent = round(100 * (value - low) / (high - low), 1)
        if feature == "tempo":
            text = f"{value:.0f} BPM"
        elif feature == "loudness":
            text = f"{value:.1f} dB"
        else:
            text = f"{value:.2f}"
        bars.append(FeatureBar(feature, text, max(0.0, min(100.0, percent))))
    return bars


def _duration_text(duration_ms: int | None) -> str:
    if duration_ms is None:
        return ""
    seconds = round(duration_ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _key_text(track: Track) -> str:
    if track.key is None or not 0 <= track.key < len(PITCH_CLASSES):
        return ""
    mode = {1: " major", 0: " minor"}.get(track.mode, "") if track.mode is not None else ""
    return PITCH_CLASSES[track.key] + mode


@login_required
@require_GET
def track_detail(request: HttpRequest, track_id: int) -> HttpResponse:
    track = selectors.track_get(track_id=track_id)
    context = {
        "track": track,
        "is_demo": track.is_demo,
        "duration": _duration_text(track.duration_ms),
        "key_text": _key_text(track),
        "feature_bars": _feature_bars(track),
        "embedded": track.embedding is not None,
        "similar": selectors.track_similar(track=track, k=SIMILAR_TRACKS),
    }
    return render(request, "catalog/track.html", context)


# --- staff: imports ----------------------------------------------------------------------------


def _require_staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_staff:
        raise PermissionDenied("Catalog imports are for staff.")
    return user


def _jobs_context(request: HttpRequest) -> dict[str, Any]:
    jobs = list(selectors.catalog_import_list(user=request.user))
    active = any(job.status in (JobStatus.QUEUED, JobStatus.RUNNING) for job in jobs)
    return {"jobs": jobs, "jobs_active": active}


def _render_imports(
    request: HttpRequest, form: CatalogImportForm, *, status: int = 200, upload_error: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "upload_error": upload_error,
        "max_upload_bytes": settings.CATALOG_UPLOAD_MAX_BYTES,
        "embedding": selectors.embedding_progress(),
        **_jobs_context(request),
    }
    return render(request, "catalog/imports.html", context, status=status)


# CSRF is checked by _imports_upload, after the size check: the middleware would read the whole
# multipart body (storing the file) just to find the token in it.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    if request.method == "POST":
        content_length = upload_content_length(request)
        if content_length > settings.CATALOG_UPLOAD_MAX_BYTES:
            message = (
                f"That upload is {filesizeformat(content_length)}; files up to "
                f"{filesizeformat(settings.CATALOG_UPLOAD_MAX_BYTES)} are accepted here. "
                "Larger catalogs can be imported with `manage.py import_catalog`."
            )
            return _render_imports(request, CatalogImportForm(), status=413, upload_error=message)
        return _imports_upload(request)
    return _render_imports(request, CatalogImportForm())


@csrf_protect
def _imports_upload(request: HttpRequest) -> HttpResponse:
    user = _require_staff(request)
    form = CatalogImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = catalog_import_request(
                user=user,
                uploaded_file=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
                file_format=form.cleaned_data["format"],
                column_map=form.cleaned_data["map"],
                tag_columns=form.cleaned_data["tags_from"],
                strict=form.cleaned_data["strict"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Queued “{job.original_name}” for import (job {job.pk}).")
            return redirect("catalog:imports")
    return _render_imports(request, form, status=400)


@login_required
@require_GET
def import_status(request: HttpRequest) -> HttpResponse:
    """The job list fragment; it keeps polling itself while a job is queued or running."""
    _require_staff(request)
    context = {**_jobs_context(request), "embedding": selectors.embedding_progress()}
    return render(request, "catalog/imports.html#jobs_fragment", context)


@login_required
@require_GET
def embedding_status(request: HttpRequest) -> HttpResponse:
    """The embedding panel fragment; it keeps polling itself while tracks wait for embeddings."""
    _require_staff(request)
    return render(request, "catalog/imports.html#embedding", {"embedding": selectors.embedding_progress()})


# --- staff: music libraries --------------------------------------------------------------------


def _libraries_context(request: HttpRequest) -> dict[str, Any]:
    libraries = selectors.library_source_list(user=request.user)
    active = any(
        library.latest_scan is not None and library.latest_scan.status in sources.ACTIVE_STATUSES  # type: ignore[attr-defined]
        for library in libraries
    )
    analysing = any(library.analysis_pending for library in libraries)  # type: ignore[attr-defined]
    return {"libraries": libraries, "scans_active": active, "analysis_pending": analysing}


def _render_libraries(
    request: HttpRequest,
    form: LibrarySourceForm,
    *,
    subsonic_form: SubsonicSourceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "subsonic_form": subsonic_form or SubsonicSourceForm(),
        **_libraries_context(request),
    }
    return render(request, "catalog/libraries.html", context, status=status)


@sensitive_post_parameters("password", "api_key")
@login_required
@require_http_methods(["GET", "POST"])
def libraries(request: HttpRequest) -> HttpResponse:
    """Music libraries: the list with live scan progress, and the form that adds a folder."""
    user = _require_staff(request)
    if request.method != "POST":
        return _render_libraries(request, LibrarySourceForm())
    if request.POST.get("kind") == "subsonic":
        return _subsonic_add(request, user)
    form = LibrarySourceForm(request.POST)
    if form.is_valid():
        try:
            library = sources.library_source_add(
                root=form.cleaned_data["root"], name=form.cleaned_data["name"], user=user, scan=True
            )
        except ApplicationError as exc:
            form.add_error("root", exc.message)
        else:
            messages.success(request, f"Added “{library.name}”; its first scan is queued.")
            return redirect("catalog:libraries")
    return _render_libraries(request, form, status=400)


def _subsonic_add(request: HttpRequest, user: User) -> HttpResponse:
    form = SubsonicSourceForm(request.POST)
    if form.is_valid():
        try:
            library = subsonic_services.subsonic_source_add(
                base_url=form.cleaned_data["base_url"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                api_key=form.cleaned_data["api_key"],
                name=form.cleaned_data["name"],
                user=user,
                sync=True,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Added “{library.name}”; its library import is queued.")
            return redirect("catalog:libraries")
    return _render_libraries(request, LibrarySourceForm(), subsonic_form=form, status=400)


@login_required
@require_GET
def library_status(request: HttpRequest) -> HttpResponse:
    """The library list fragment; it keeps polling itself while a scan is queued or running."""
    _require_staff(request)
    return render(request, "catalog/libraries.html#sources", _libraries_context(request))


def _after_library_action(request: HttpRequest) -> HttpResponse:
    if _is_fragment_request(request):
        context = {**_libraries_context(request), "fragment": True}
        return render(request, "catalog/libraries.html#sources", context)
    return redirect("catalog:libraries")


@login_required
@require_POST
def library_rescan(request: HttpRequest, source_id: int) -> HttpResponse:
    user = _require_staff(request)
    library = selectors.library_source_get(user=user, source_id=source_id)
    try:
        if library.kind == LibrarySourceKind.SUBSONIC:
            scan = subsonic_services.subsonic_sync_request(source_id=library.pk, user=user)
        else:
            scan = sources.library_scan_request(source_id=library.pk, user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        resumed = f", resuming after {scan.resume_label}" if scan.resume_after else ""
        messages.success(request, f"Scan of “{library.name}” queued{resumed}.")
    return _after_library_action(request)


@login_required
@require_POST
def library_scan_cancel(request: HttpRequest, scan_id: int) -> HttpResponse:
    user = _require_staff(request)
    scan = selectors.library_scan_get(user=user, scan_id=scan_id)
    try:
        sources.library_scan_cancel(scan_id=scan.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Scan of “{scan.source.name}” cancelled; a rescan resumes where it stopped."
        )
    return _after_library_action(request)


@login_required
@require_POST
def library_remove(request: HttpRequest, source_id: int) -> HttpResponse:
    user = _require_staff(request)
    library = selectors.library_source_get(user=user, source_id=source_id)
    try:
        sources.library_source_remove(source_id=library.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed “{library.name}”; its tracks stay in playlists and history.")
    return _after_library_action(request)


# --- "More like this" radio ----------------------------------------------------------------------


@login_required
@require_GET
def track_radio(request: HttpRequest, track_id: int) -> HttpResponse:
    """A radio from one track; an htmx request gets just the list (rows carry the player's data)."""
    user = request.user
    assert isinstance(user, User)
    seed = selectors.track_get(track_id=track_id)
    context = {"seed": seed, "entries": radio.track_radio(user=user, track_id=track_id)}
    template = "catalog/radio.html#radio_list" if _is_fragment_request(request) else "catalog/radio.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
