"""The personal data export names tracks ("title — artists") beside their ids, so a listener can
read what they played, liked and were given without the catalog."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.exports import data_export_build, data_export_request, export_contents
from accounts.models import User
from catalog.models import Track
from feedback.models import EventKind, ExclusionKind, ListeningEvent, TasteExclusion, TrackAffinity
from tests.catalog.factories import TrackFactory
from tests.playlists.factories import playlist_make, version_make


def event_make(user: User, track: Track, kind: str = EventKind.PLAY) -> ListeningEvent:
    now = timezone.now()
    return ListeningEvent.objects.create(
        user=user,
        client_event_id=uuid.uuid4(),
        kind=kind,
        track=track,
        occurred_at=now,
        received_at=now,
        weight=1.0,
    )


def test_events_affinities_playlists_and_exclusions_name_their_tracks(owner: User, other_user: User) -> None:
    duet = TrackFactory(title="Under Pressure", artists=["Queen", "David Bowie"])
    solo = TrackFactory(title="Heroes", artists=["David Bowie"])
    event_make(owner, duet)
    event_make(other_user, solo)
    TrackAffinity.objects.create(
        user=owner, track=solo, mass=-1.0, events=1, last_event_at=timezone.now(), disliked=True
    )
    TasteExclusion.objects.create(user=owner, kind=ExclusionKind.TRACK, track=duet)
    playlist = playlist_make(owner=owner)
    version_make(playlist, tracks=[solo, duet])

    files = export_contents(user=owner)

    [event] = files["data/feedback.listeningevent.json"]
    assert event["fields"]["track"] == duet.pk  # the id stays
    assert event["fields"]["track_name"] == "Under Pressure — Queen, David Bowie"
    [affinity] = files["data/feedback.trackaffinity.json"]
    assert (affinity["fields"]["track"], affinity["fields"]["track_name"]) == (
        solo.pk,
        "Heroes — David Bowie",
    )
    [exclusion] = files["data/feedback.tasteexclusion.json"]
    assert exclusion["fields"]["track_name"] == "Under Pressure — Queen, David Bowie"
    items = files["data/playlists.playlistitem.json"]
    assert [(item["fields"]["position"], item["fields"]["track_name"]) for item in items] == [
        (1, "Heroes — David Bowie"),
        (2, "Under Pressure — Queen, David Bowie"),
    ]


def test_a_track_without_artists_is_named_by_its_title_and_no_key_means_no_name(owner: User) -> None:
    nameless = TrackFactory(title="Untitled Jam", artists=[])
    artist_only = TrackFactory(artists=["Somebody"]).artists.get()
    event_make(owner, nameless)
    TasteExclusion.objects.create(user=owner, kind=ExclusionKind.ARTIST, artist=artist_only)

    files = export_contents(user=owner)

    assert files["data/feedback.listeningevent.json"][0]["fields"]["track_name"] == "Untitled Jam"
    [exclusion] = files["data/feedback.tasteexclusion.json"]
    assert exclusion["fields"]["track"] is None
    assert "track_name" not in exclusion["fields"]


def test_naming_tracks_takes_the_same_queries_for_many_events(owner: User) -> None:
    event_make(owner, TrackFactory())
    with CaptureQueriesContext(connection) as one:
        export_contents(user=owner)
    for _ in range(20):
        event_make(owner, TrackFactory(artists=["A", "B"]))
    with CaptureQueriesContext(connection) as many:
        files = export_contents(user=owner)

    assert len(files["data/feedback.listeningevent.json"]) == 21
    assert len(many) == len(one)


def test_the_downloaded_zip_names_tracks_and_its_readme_says_so(
    owner: User, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    event_make(owner, TrackFactory(title="So What", artists=["Miles Davis"]))
    export = data_export_request(user=owner)

    data_export_build(export_id=export.pk)

    export.refresh_from_db()
    with zipfile.ZipFile(tmp_path / export.file_path) as archive:
        events = json.loads(archive.read("data/feedback.listeningevent.json"))
        readme = archive.read("README.txt").decode()
    assert events[0]["fields"]["track_name"] == "So What — Miles Davis"
    assert "title — artists" in readme
