"""Reads of the catalog. The catalog is shared by every user; import jobs and libraries are staff-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from catalog.embeddings import encode_query
from catalog.models import (
    LIBRARY_TRACK_SOURCE,
    CatalogImport,
    LibraryScan,
    LibrarySource,
    LibrarySourceKind,
    MediaFile,
    SubsonicLink,
    Tag,
    TagKind,
    Track,
    TrackArtist,
)
from catalog.search import SearchFilters, SearchHit, apply_filters, track_vector_search
from catalog.search_text import tracks_matching_words


def _with_relations(queryset: QuerySet[Track]) -> QuerySet[Track]:
    return queryset.prefetch_related(
        Prefetch("track_artists", queryset=TrackArtist.objects.select_related("artist").order_by("position")),
        "tags",
    )


def track_list(*, filters: SearchFilters | None = None, text: str = "") -> QuerySet[Track]:
    """Browse: tracks passing the filters (and holding every word of ``text``, in any order,
    whatever the case and accents), most popular first, unknown popularity last."""
    queryset = apply_filters(Track.objects.all(), filters or SearchFilters())
    if text:
        queryset = tracks_matching_words(queryset, text)
    return _with_relations(queryset.order_by(F("popularity").desc(nulls_last=True), "title", "pk"))


def track_semantic_search(*, text: str, k: int = 20, filters: SearchFilters | None = None) -> list[Track]:
    """Tracks by meaning: the text is embedded and matched against track embeddings.

    Each returned track carries a ``similarity`` attribute (cosine, -1..1).
    """
    return _tracks_for_hits(track_vector_search(query_vector=encode_query(text), k=k, filters=filters))


def _tracks_for_hits(hits: list[SearchHit]) -> list[Track]:
    """The hits' tracks in hit order, relations prefetched, each with its ``similarity``."""
    by_id = _with_relations(Track.objects.filter(pk__in=[hit.track_id for hit in hits])).in_bulk()
    tracks = []
    for hit in hits:
        if hit.track_id in by_id:
            track = by_id[hit.track_id]
            track.similarity = hit.similarity  # type: ignore[attr-defined]
            tracks.append(track)
    return tracks


def track_get(*, track_id: int) -> Track:
    return get_object_or_404(_with_relations(Track.objects.all()), pk=track_id)


def tag_list_popular(*, kind: TagKind | None = None, limit: int = 40) -> list[Tag]:
    queryset = Tag.objects.all()
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return list(queryset.annotate(track_count=Count("tag_tracks")).order_by("-track_count", "name")[:limit])


@dataclass(frozen=True)
class EmbeddingProgress:
    total: int
    embedded: int

    @property
    def pending(self) -> int:
        return self.total - self.embedded

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.embedded / self.total)


def embedding_progress() -> EmbeddingProgress:
    counts = Track.objects.aggregate(total=Count("pk"), embedded=Count("embedding"))
    return EmbeddingProgress(total=counts["total"], embedded=counts["embedded"])


def catalog_import_list(*, user: object, limit: int = 20) -> QuerySet[CatalogImport]:
    """Import jobs are staff business: staff see every job, anyone else none."""
    if not getattr(user, "is_staff", False):
        return CatalogImport.objects.none()
    return CatalogImport.objects.select_related("created_by")[:limit]


def catalog_import_get(*, user: object, import_id: int) -> CatalogImport:
    if not getattr(user, "is_staff", False):
        return get_object_or_404(CatalogImport.objects.none(), pk=import_id)
    return get_object_or_404(CatalogImport, pk=import_id)


def track_similar(*, track: Track, k: int = 10) -> list[Track]:
    """The ``k`` tracks nearest to ``track`` by embedding (never itself), each with ``similarity``.

    Empty while the track has no embedding yet.
    """
    if track.embedding is None:
        return []
    hits = track_vector_search(
        query_vector=track.embedding, k=k + 1, filters=SearchFilters(exclude_ids=[track.pk])
    )[:k]
    return _tracks_for_hits(hits)


# --- library sources (staff) -----------------------------------------------------------------


def library_source_list(*, user: object) -> list[LibrarySource]:
    """Every library with ``latest_scan`` (or None) and counts of its live files: ``file_count``,
    ``analysed_count``, ``analysis_failed_count`` and ``analysis_pending``; its ``push_leftovers``
    prefetched; staff only."""
    if not getattr(user, "is_staff", False):
        return []
    live = Q(files__removed_at__isnull=True)
    libraries: list[LibrarySource] = list(
        LibrarySource.objects.select_related("subsonic_account")
        .prefetch_related("push_leftovers")
        .annotate(
            file_count=Count("files", filter=live),
            analysed_count=Count("files", filter=live & Q(files__analysed_at__isnull=False)),
            analysis_failed_count=Count(
                "files", filter=live & Q(files__analysed_at__isnull=True) & ~Q(files__analysis_error="")
            ),
        )
        .order_by("name", "pk")
    )
    latest = {
        scan.source_id: scan
        for scan in LibraryScan.objects.filter(source__in=libraries)
        .order_by("source_id", "-created_at", "-pk")
        .distinct("source_id")
    }
    for library in libraries:
        library.latest_scan = latest.get(library.pk)  # type: ignore[attr-defined]
        library.analysis_pending = (  # type: ignore[attr-defined]
            library.file_count - library.analysed_count - library.analysis_failed_count  # type: ignore[attr-defined]
        )
    return libraries


def library_source_get(*, user: object, source_id: int) -> LibrarySource:
    if not getattr(user, "is_staff", False):
        return get_object_or_404(LibrarySource.objects.none(), pk=source_id)
    return get_object_or_404(LibrarySource, pk=source_id)


def library_scan_get(*, user: object, scan_id: int) -> LibraryScan:
    if not getattr(user, "is_staff", False):
        return get_object_or_404(LibraryScan.objects.none(), pk=scan_id)
    return get_object_or_404(LibraryScan.objects.select_related("source"), pk=scan_id)


# --- what a new playlist may use -----------------------------------------------------------------


def tracks_playable_or_metadata_only(queryset: QuerySet[Track] | None = None) -> QuerySet[Track]:
    """Tracks a NEW playlist may use: those with a file still present, and catalog tracks that
    never had a file (metadata only: imported catalogs, the demo).

    Left out: tracks whose every media file was removed from its folder, and library tracks
    (``source="library"``) left without any media file (their library was removed). Such tracks
    stay in history, existing playlists and exports; they are just not chosen again.
    Pass a queryset to narrow it (``tracks_playable_or_metadata_only(Track.objects.filter(...))``).
    """
    queryset = Track.objects.all() if queryset is None else queryset
    any_file = MediaFile.objects.filter(track=OuterRef("pk"))
    live_file = any_file.filter(removed_at__isnull=True)
    gone = (Exists(any_file) | Q(source=LIBRARY_TRACK_SOURCE)) & ~Exists(live_file)
    return queryset.exclude(gone)


# --- Subsonic links (each listener's own) -----------------------------------------------------------


def subsonic_sources_for_linking(*, user: object) -> list[LibrarySource]:
    """The Subsonic sources a signed-in listener may link their account on (names only)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(LibrarySource.objects.filter(kind=LibrarySourceKind.SUBSONIC).order_by("name", "pk"))


def subsonic_links_for_user(*, user: object) -> list[SubsonicLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        SubsonicLink.objects.filter(user=cast(User, user))
        .select_related("source")
        .prefetch_related("pushes")
        .order_by("source__name", "pk")
    )


def subsonic_link_get(*, user: object, link_id: int) -> SubsonicLink:
    """The listener's own link; anyone else's is a 404."""
    if not getattr(user, "is_authenticated", False):
        return get_object_or_404(SubsonicLink.objects.none(), pk=link_id)
    return get_object_or_404(
        SubsonicLink.objects.filter(user=cast(User, user)).select_related("source"), pk=link_id
    )


def subsonic_source_get_for_linking(*, user: object, source_id: int) -> LibrarySource:
    if not getattr(user, "is_authenticated", False):
        return get_object_or_404(LibrarySource.objects.none(), pk=source_id)
    return get_object_or_404(LibrarySource.objects.filter(kind=LibrarySourceKind.SUBSONIC), pk=source_id)
