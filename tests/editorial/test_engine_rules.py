"""The desk steers the real engine: on a small demo catalog with the real text model, a
matching prompt gets the theme's pins and never a blocked track; pins expire; an unrelated
prompt gets only the global blocks. Generation runs in-process (the worker path is the same
service, covered by tests/playlists/test_generation_worker.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.pseudonyms import pseudonym_for
from catalog import services as catalog_services
from catalog.embeddings import encode_documents
from catalog.models import Track
from editorial import playlist_services as desk_playlists
from editorial import services
from editorial.experiments.models import Assignment, VersionAssignment
from editorial.models import EditorialPlaylist, EditorialStatus, Theme, VersionTheme
from playlists import services as playlist_services
from playlists.models import Playlist, PlaylistVersion, VersionCause, VersionStatus
from tests.experiments.factories import experiment_make

pytestmark = [pytest.mark.model, pytest.mark.django_db]

MATCHING_PROMPT = "relaxing jazz for a rainy night"
UNRELATED_PROMPT = "aggressive heavy metal for the gym"


@pytest.fixture
def demo_catalog() -> None:
    """400 demo tracks embedded in this test's transaction (catalog_embed_all writes from a
    second connection, which would not see uncommitted rows). The embedding task the load
    queues on commit is never sent: this transaction is rolled back."""
    catalog_services.catalog_demo_load(count=400, seed=3)
    tracks = list(Track.objects.order_by("pk"))
    for track, vector in zip(tracks, encode_documents([track.document for track in tracks]), strict=True):
        track.embedding = vector
    Track.objects.bulk_update(tracks, ["embedding"], batch_size=200)


@pytest.fixture
def theme(curator: User) -> Theme:
    return services.theme_create(
        actor=curator,
        name="Rainy jazz",
        description="calm jazz for a rainy evening",
        example_prompts=["relaxing evening jazz", "rainy day jazz"],
    )


def _generate(playlist: Playlist) -> tuple[PlaylistVersion, list[int]]:
    version = playlist.versions.order_by("-number").first()
    assert version is not None
    playlist_services.playlist_version_build(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.READY, version.error
    return version, list(version.items.order_by("position").values_list("track_id", flat=True))


def _first_playlist(owner: User, prompt: str) -> tuple[Playlist, list[int]]:
    playlist = playlist_services.playlist_create(owner=owner, prompt=prompt, size=12)
    return playlist, _generate(playlist)[1]


def _outsider(excluded: list[int]) -> Track:
    return Track.objects.exclude(pk__in=excluded).filter(embedding__isnull=False).order_by("pk").first()


def test_pins_appear_and_blocks_never_appear_for_a_matching_prompt(
    demo_catalog: None, owner: User, curator: User, theme: Theme
) -> None:
    playlist, before = _first_playlist(owner, MATCHING_PROMPT)
    pinned = _outsider(before)
    services.pin_create(actor=curator, theme=theme, track_id=pinned.pk, position=1)
    services.block_create(actor=curator, track_id=before[0], theme=theme, reason="not calm enough")
    services.block_create(actor=curator, track_id=before[1], reason="bad master")

    playlist_services.playlist_regenerate(playlist=playlist)
    version, after = _generate(playlist)

    assert after[0] == pinned.pk
    assert "curator pick" in " ".join(version.items.get(track=pinned).reasons)
    assert before[0] not in after and before[1] not in after
    match = VersionTheme.objects.get(version=version)
    assert match.theme == theme and match.similarity is not None and match.similarity >= 0.55


def test_an_unrelated_prompt_gets_only_the_global_blocks(
    demo_catalog: None, owner: User, curator: User, theme: Theme
) -> None:
    playlist, before = _first_playlist(owner, UNRELATED_PROMPT)
    pinned = _outsider(before)
    services.pin_create(actor=curator, theme=theme, track_id=pinned.pk, position=1)
    services.block_create(actor=curator, track_id=before[0], reason="everywhere")
    services.block_create(actor=curator, track_id=before[1], theme=theme, reason="only for rainy jazz")

    # A refresh: the same Intent again (Regenerate would also swap in fresh tracks, issue 19).
    playlist_services.playlist_regenerate(playlist=playlist, cause=VersionCause.REFRESH)
    version, after = _generate(playlist)

    assert VersionTheme.objects.get(version=version).theme is None
    assert pinned.pk not in after
    assert before[0] not in after
    assert before[1] in after  # a theme block does not reach other prompts


def test_pins_expire(demo_catalog: None, owner: User, curator: User, theme: Theme) -> None:
    playlist, before = _first_playlist(owner, MATCHING_PROMPT)
    pinned = _outsider(before)
    pin = services.pin_create(
        actor=curator,
        theme=theme,
        track_id=pinned.pk,
        position=1,
        ends_at=timezone.now() + timedelta(hours=1),
    )
    playlist_services.playlist_regenerate(playlist=playlist)
    assert _generate(playlist)[1][0] == pinned.pk

    # The window closes (time passes; moved here instead of waiting).
    type(pin).objects.filter(pk=pin.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=1)
    )
    playlist_services.playlist_regenerate(playlist=playlist)
    assert pinned.pk not in _generate(playlist)[1]


def test_an_editorial_playlist_is_built_from_a_prompt_and_keeps_its_pins_when_rebuilt(
    demo_catalog: None, curator: User
) -> None:
    playlist = desk_playlists.editorial_playlist_create(
        actor=curator, name="Rainy", prompt="rainy day jazz, 10 songs"
    )
    desk_playlists.editorial_playlist_build(playlist_id=playlist.pk)
    playlist.refresh_from_db()
    assert playlist.status == EditorialStatus.DRAFT and playlist.items.count() == 10
    third = playlist.items.get(position=3).track_id
    playlist = desk_playlists.editorial_playlist_track_pin(
        actor=curator, playlist=playlist, revision=playlist.revision, track_id=third, pinned=True
    )
    desk_playlists.editorial_playlist_rebuild(actor=curator, playlist=playlist, revision=playlist.revision)
    desk_playlists.editorial_playlist_build(playlist_id=playlist.pk)
    rebuilt = EditorialPlaylist.objects.get(pk=playlist.pk)
    assert rebuilt.status == EditorialStatus.DRAFT
    assert rebuilt.items.get(position=3).track_id == third and rebuilt.items.get(position=3).pinned


def test_a_generated_version_records_its_theme_and_variant_and_assigns_its_listener(
    demo_catalog: None, owner: User, theme: Theme
) -> None:
    experiment = experiment_make()
    playlist = playlist_services.playlist_create(owner=owner, prompt=MATCHING_PROMPT, size=12)
    version, _ = _generate(playlist)
    assignment = Assignment.objects.get(experiment=experiment, pseudonym=pseudonym_for(owner))
    record = VersionAssignment.objects.get(version=version)
    assert (record.experiment_id, record.variant_id) == (experiment.pk, assignment.variant_id)
    variant = assignment.variant
    assert version.policy == (variant.policy or f"variant-{variant.pk}")
    assert version.propensity is None  # a variant's configuration is not a bandit draw
    assert VersionTheme.objects.get(version=version).theme_id == theme.pk
