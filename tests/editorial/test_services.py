"""Curator services through the real database: each writes its audit entry, bad input is
refused with a clear message and nothing half-written, two curators cannot overwrite each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from catalog.models import Track
from config.errors import ApplicationError
from editorial import playlist_services as desk_playlists
from editorial import review_services, services
from editorial.models import (
    ArtistBoost,
    AuditEntry,
    Block,
    BoostStatus,
    EditorialItem,
    EditorialPlaylist,
    EditorialStatus,
    QueueReason,
    QueueSnapshot,
    ReviewItem,
    ReviewStatus,
    Theme,
    ThemePin,
    VersionTheme,
)
from editorial.rules import rules_for_theme
from playlists.models import Playlist
from tests.catalog.factories import ArtistFactory, TrackFactory
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme(curator: User) -> Theme:
    return services.theme_create(
        actor=curator,
        name="Calm jazz",
        description="calm jazz for the evening",
        example_prompts=["relaxing jazz"],
    )


@pytest.fixture
def tracks() -> list[Track]:
    return [TrackFactory() for _ in range(4)]


@pytest.fixture
def draft(curator: User, tracks: list[Track]) -> EditorialPlaylist:
    """An editorial playlist already built (as the worker would leave it)."""
    playlist = EditorialPlaylist.objects.create(
        name="Sunday", prompt="sunday morning", status=EditorialStatus.DRAFT, created_by=curator
    )
    EditorialItem.objects.bulk_create(
        EditorialItem(playlist=playlist, position=index, track=track)
        for index, track in enumerate(tracks[:3], 1)
    )
    return playlist


def _order(playlist: EditorialPlaylist) -> list[int]:
    return list(playlist.items.order_by("position").values_list("track_id", flat=True))


# --- every curator action writes its audit entry --------------------------------------------


ACTIONS: dict[str, Callable[..., object]] = {
    "theme.create": lambda c, theme, tracks, draft: services.theme_create(
        actor=c, name="New", description="x"
    ),
    "theme.update": lambda c, theme, tracks, draft: services.theme_update(
        actor=c, theme=theme, name="Calm jazz 2", description="d", example_prompts=[]
    ),
    "theme.delete": lambda c, theme, tracks, draft: services.theme_delete(actor=c, theme=theme),
    "pin.create": lambda c, theme, tracks, draft: services.pin_create(
        actor=c, theme=theme, track_id=tracks[0].pk
    ),
    "pin.delete": lambda c, theme, tracks, draft: services.pin_delete(
        actor=c, pin=ThemePin.objects.create(theme=theme, track=tracks[0])
    ),
    "block.create": lambda c, theme, tracks, draft: services.block_create(
        actor=c, track_id=tracks[0].pk, reason="off-topic"
    ),
    "block.delete": lambda c, theme, tracks, draft: services.block_delete(
        actor=c, block=Block.objects.create(track=tracks[0], reason="r")
    ),
    "boost.create": lambda c, theme, tracks, draft: services.boost_create(
        actor=c, theme=theme, artist_id=ArtistFactory().pk
    ),
    "boost.accept": lambda c, theme, tracks, draft: services.boost_accept(
        actor=c,
        boost=ArtistBoost.objects.create(theme=theme, artist=ArtistFactory(), status=BoostStatus.CANDIDATE),
    ),
    "boost.delete": lambda c, theme, tracks, draft: services.boost_delete(
        actor=c, boost=ArtistBoost.objects.create(theme=theme, artist=ArtistFactory())
    ),
    "editorial_playlist.create": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_create(
        actor=c, name="Fresh", prompt="fresh indie"
    ),
    "editorial_playlist.add": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_track_add(
        actor=c, playlist=draft, revision=1, track_id=tracks[3].pk
    ),
    "editorial_playlist.remove": lambda c, theme, tracks, draft: (
        desk_playlists.editorial_playlist_track_remove(
            actor=c, playlist=draft, revision=1, track_id=tracks[0].pk
        )
    ),
    "editorial_playlist.move": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_track_move(
        actor=c, playlist=draft, revision=1, track_id=tracks[0].pk, position=3
    ),
    "editorial_playlist.pin": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_track_pin(
        actor=c, playlist=draft, revision=1, track_id=tracks[0].pk, pinned=True
    ),
    "editorial_playlist.update": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_update(
        actor=c, playlist=draft, revision=1, name="Renamed"
    ),
    "editorial_playlist.publish": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_publish(
        actor=c, playlist=draft, revision=1
    ),
    "editorial_playlist.rebuild": lambda c, theme, tracks, draft: desk_playlists.editorial_playlist_rebuild(
        actor=c, playlist=draft, revision=1
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_curator_action_writes_an_audit_entry(
    action: str, curator: User, theme: Theme, tracks: list[Track], draft: EditorialPlaylist
) -> None:
    before = AuditEntry.objects.count()
    ACTIONS[action](curator, theme, tracks, draft)
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor, entry.actor_email) == (action, curator, curator.email)
    assert entry.before is not None or entry.after is not None


def test_review_decisions_and_resolving_are_audited(curator: User, owner: User, tracks: list[Track]) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:2])
    review_services.report_create(reporter=owner, playlist=version.playlist, track_id=tracks[0].pk)
    item = ReviewItem.objects.get()
    review_services.review_decide(actor=curator, item=item, track_id=tracks[0].pk, verdict="reject")
    review_services.review_decide(actor=curator, item=item, track_id=tracks[1].pk, verdict="approve")
    review_services.review_resolve(actor=curator, item=item)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["block.create", "review.reject", "review.approve", "review.resolve"]


def test_the_audit_entry_shows_before_and_after(curator: User, theme: Theme) -> None:
    services.theme_update(
        actor=curator, theme=theme, name="Late jazz", description="late", example_prompts=[]
    )
    entry = AuditEntry.objects.get(action="theme.update")
    assert entry.before["name"] == "Calm jazz" and entry.after["name"] == "Late jazz"
    assert entry.target_type == "theme" and entry.target_id == str(theme.pk)


# --- bad input: clear messages, nothing half-written ----------------------------------------


def _nothing_written(action: Callable[[], object], match: str) -> None:
    counts = (
        Theme.objects.count(),
        ThemePin.objects.count(),
        Block.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(ApplicationError, match=match):
        action()
    after = (
        Theme.objects.count(),
        ThemePin.objects.count(),
        Block.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == counts


def test_a_theme_with_an_empty_name_is_refused(curator: User) -> None:
    _nothing_written(
        lambda: services.theme_create(actor=curator, name="   ", description="x"), "needs a name"
    )


def test_a_theme_needs_something_to_match_prompts_against(curator: User) -> None:
    _nothing_written(lambda: services.theme_create(actor=curator, name="Empty"), "Describe the theme")


def test_a_duplicate_theme_name_is_refused(curator: User, theme: Theme) -> None:
    _nothing_written(
        lambda: services.theme_create(actor=curator, name="CALM JAZZ", description="x"), "exists"
    )


def test_pinning_a_deleted_track_is_refused(curator: User, theme: Theme, tracks: list[Track]) -> None:
    gone = tracks[0].pk
    tracks[0].delete()
    _nothing_written(
        lambda: services.pin_create(actor=curator, theme=theme, track_id=gone), "not in the catalog"
    )


def test_an_expired_pin_window_is_refused(curator: User, theme: Theme, tracks: list[Track]) -> None:
    now = timezone.now()
    _nothing_written(
        lambda: services.pin_create(
            actor=curator,
            theme=theme,
            track_id=tracks[0].pk,
            starts_at=now - timedelta(days=9),
            ends_at=now - timedelta(days=2),
        ),
        "already over",
    )


def test_a_pin_window_ending_before_it_starts_is_refused(
    curator: User, theme: Theme, tracks: list[Track]
) -> None:
    now = timezone.now()
    _nothing_written(
        lambda: services.pin_create(
            actor=curator,
            theme=theme,
            track_id=tracks[0].pk,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=1),
        ),
        "ends before it starts",
    )


def test_a_block_needs_a_reason_and_one_target(curator: User, tracks: list[Track]) -> None:
    _nothing_written(
        lambda: services.block_create(actor=curator, track_id=tracks[0].pk, reason=" "), "Give a reason"
    )
    _nothing_written(lambda: services.block_create(actor=curator, reason="x"), "either a track or an artist")


def test_two_curators_editing_at_once_lose_no_update(
    curator: User, staff_user: User, draft: EditorialPlaylist, tracks: list[Track]
) -> None:
    seen = draft.revision  # both opened the editor at this revision
    desk_playlists.editorial_playlist_track_remove(
        actor=curator, playlist=draft, revision=seen, track_id=tracks[0].pk
    )
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ApplicationError, match="Someone else changed this playlist") as error:
        desk_playlists.editorial_playlist_track_move(
            actor=staff_user, playlist=draft, revision=seen, track_id=tracks[0].pk, position=3
        )
    assert error.value.extra == {"stale": True}
    draft.refresh_from_db()
    assert _order(draft) == [tracks[1].pk, tracks[2].pk]  # the first curator's edit stands
    assert draft.revision == seen + 1
    assert AuditEntry.objects.count() == audit_count
    desk_playlists.editorial_playlist_track_move(
        actor=staff_user, playlist=draft, revision=draft.revision, track_id=tracks[2].pk, position=1
    )
    assert _order(draft) == [tracks[2].pk, tracks[1].pk]


def test_hand_edits_add_move_pin_and_publish(
    curator: User, draft: EditorialPlaylist, tracks: list[Track]
) -> None:
    playlist = desk_playlists.editorial_playlist_track_add(
        actor=curator, playlist=draft, revision=1, track_id=tracks[3].pk, position=1
    )
    assert _order(playlist)[0] == tracks[3].pk
    playlist = desk_playlists.editorial_playlist_track_pin(
        actor=curator, playlist=playlist, revision=playlist.revision, track_id=tracks[3].pk, pinned=True
    )
    assert playlist.items.get(track=tracks[3]).pinned
    with pytest.raises(ApplicationError, match="in this playlist already"):
        desk_playlists.editorial_playlist_track_add(
            actor=curator, playlist=playlist, revision=playlist.revision, track_id=tracks[3].pk
        )
    playlist = desk_playlists.editorial_playlist_publish(
        actor=curator, playlist=playlist, revision=playlist.revision
    )
    assert playlist.status == EditorialStatus.PUBLISHED and playlist.published_at is not None
    assert playlist.revision == 4


def test_an_empty_editorial_playlist_cannot_be_published(curator: User) -> None:
    empty = EditorialPlaylist.objects.create(name="Empty", prompt="x", status=EditorialStatus.DRAFT)
    with pytest.raises(ApplicationError, match="empty playlist"):
        desk_playlists.editorial_playlist_publish(actor=curator, playlist=empty, revision=1)


# --- pins expire, blocks and boosts reach the rules ------------------------------------------


def test_pins_apply_only_inside_their_window(curator: User, theme: Theme, tracks: list[Track]) -> None:
    now = timezone.now()
    services.pin_create(
        actor=curator,
        theme=theme,
        track_id=tracks[0].pk,
        position=2,
        ends_at=now + timedelta(hours=1),
        now=now,
    )
    services.pin_create(actor=curator, theme=theme, track_id=tracks[1].pk, starts_at=now + timedelta(days=1))
    assert [(pin.track_id, pin.position) for pin in rules_for_theme(theme_id=theme.pk, now=now).pinned] == [
        (tracks[0].pk, 1)
    ]
    later = now + timedelta(days=2)
    assert [pin.track_id for pin in rules_for_theme(theme_id=theme.pk, now=later).pinned] == [tracks[1].pk]


def test_global_blocks_apply_everywhere_and_theme_blocks_only_in_their_theme(
    curator: User, theme: Theme, tracks: list[Track]
) -> None:
    artist = ArtistFactory()
    services.block_create(actor=curator, track_id=tracks[0].pk, reason="everywhere")
    services.block_create(actor=curator, track_id=tracks[1].pk, theme=theme, reason="not calm")
    services.block_create(actor=curator, artist_id=artist.pk, theme=theme, reason="not jazz")
    services.boost_create(
        actor=curator, theme=theme, artist_id=ArtistFactory().pk, status=BoostStatus.CANDIDATE
    )
    without = rules_for_theme(theme_id=None)
    within = rules_for_theme(theme_id=theme.pk)
    assert without.blocked_track_ids == {tracks[0].pk} and not without.blocked_artist_ids
    assert within.blocked_track_ids == {tracks[0].pk, tracks[1].pk}
    assert within.blocked_artist_ids == {artist.pk}
    assert within.boosted_artist_ids == frozenset()  # a candidate boost waits for a curator


# --- reports, the queue and its snapshots ----------------------------------------------------


def test_reports_open_one_review_item_per_version(owner: User, tracks: list[Track]) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:2])
    review_services.report_create(reporter=owner, playlist=version.playlist, reason="this playlist is wrong")
    review_services.report_create(reporter=owner, playlist=version.playlist, track_id=tracks[1].pk)
    item = ReviewItem.objects.get()
    assert (item.version, item.reason, item.detail) == (version, QueueReason.REPORT, "2 listener reports")


def test_reporting_a_track_not_in_the_playlist_is_refused(owner: User, tracks: list[Track]) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:2])
    with pytest.raises(ApplicationError, match="not in this playlist"):
        review_services.report_create(reporter=owner, playlist=version.playlist, track_id=tracks[3].pk)
    assert not ReviewItem.objects.exists()


def test_a_rejection_becomes_a_theme_block_and_an_approval_a_candidate_boost(
    curator: User, owner: User, theme: Theme, tracks: list[Track]
) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:2])
    VersionTheme.objects.create(version=version, theme=theme, similarity=0.8)
    review_services.report_create(reporter=owner, playlist=version.playlist)
    item = ReviewItem.objects.get()
    review_services.review_decide(actor=curator, item=item, track_id=tracks[0].pk, verdict="reject")
    review_services.review_decide(actor=curator, item=item, track_id=tracks[1].pk, verdict="approve")
    assert Block.objects.get().theme == theme
    boost = ArtistBoost.objects.get()
    assert (boost.theme, boost.status) == (theme, BoostStatus.CANDIDATE)
    assert boost.artist_id == tracks[1].artists.get().pk
    with pytest.raises(ApplicationError, match="decided already"):
        review_services.review_decide(actor=curator, item=item, track_id=tracks[0].pk, verdict="approve")


def test_a_rejection_without_a_theme_blocks_everywhere(
    curator: User, owner: User, tracks: list[Track]
) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:1])
    review_services.report_create(reporter=owner, playlist=version.playlist)
    review_services.review_decide(
        actor=curator, item=ReviewItem.objects.get(), track_id=tracks[0].pk, verdict="reject"
    )
    assert Block.objects.get().theme is None


def test_the_scan_flags_low_confidence_and_rising_prompts_once(owner: User, tracks: list[Track]) -> None:
    vague = version_make(
        playlist_make(owner=owner, prompt="blorp"), tracks=tracks[:1], intent={"semantic_text": "x"}
    )
    confident = {"include_tags": [{"name": "jazz", "confidence": 0.95, "source": "jazz"}]}
    for _ in range(6):
        version_make(playlist_make(owner=owner, prompt="Summer Run"), tracks=tracks[:1], intent=confident)
    assert review_services.review_scan() == 2
    assert review_services.review_scan() == 0
    reasons = dict(ReviewItem.objects.values_list("reason", "version_id"))
    assert reasons[QueueReason.LOW_CONFIDENCE] == vague.pk
    assert Playlist.objects.get(versions=reasons[QueueReason.RISING]).prompt == "Summer Run"


def test_queue_snapshots_count_open_items_per_reason(owner: User, curator: User, tracks: list[Track]) -> None:
    version = version_make(playlist_make(owner=owner), tracks=tracks[:1])
    review_services.report_create(reporter=owner, playlist=version.playlist)
    review_services.queue_snapshot()
    assert dict(QueueSnapshot.objects.values_list("reason", "open_count")) == {
        QueueReason.LOW_CONFIDENCE: 0,
        QueueReason.REPORT: 1,
        QueueReason.RISING: 0,
    }
    review_services.review_resolve(actor=curator, item=ReviewItem.objects.get())
    assert ReviewItem.objects.get().status == ReviewStatus.DONE


def test_erasing_a_curator_keeps_the_audit_trail_without_their_name(curator: User, theme: Theme) -> None:
    from accounts.services import account_erase

    services.block_create(actor=curator, artist_id=ArtistFactory().pk, reason="spam uploads")
    assert account_erase(user_id=curator.pk)
    entries = AuditEntry.objects.all()
    assert entries.count() == 2
    assert {entry.actor_email for entry in entries} == {services.ERASED_ACTOR}
    assert Block.objects.get().created_by is None
