"""Experiments and playlists with outcomes, made through the services."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from accounts.models import ConsentPurpose, Role, User
from accounts.services import consent_record_choices, policy_ensure_initial, user_create
from catalog.models import Artist, Track, TrackArtist
from editorial.experiments import services
from editorial.experiments.models import Experiment
from tests.conftest import USER_PASSWORD


def experiment_make(
    *, name: str = "Weights test", horizon: int = 20, start: bool = True, **fields: object
) -> Experiment:
    experiment = services.experiment_create(
        name=name,
        created_by=None,
        horizon=horizon,
        variants=[
            {"name": "A", "traffic": 50},
            {
                "name": "B",
                "traffic": 50,
                "weights": {"taste": 2.0, "popularity": 0.0},
                "policy": "taste-heavy",
            },
        ],
        **fields,  # type: ignore[arg-type]
    )
    return services.experiment_start(experiment=experiment) if start else experiment


def listeners_make(count: int, *, consent: bool = True, prefix: str = "listener") -> list[User]:
    policy_ensure_initial()
    users = []
    for number in range(count):
        user = user_create(email=f"{prefix}{number}@example.com", password=USER_PASSWORD, role=Role.LISTENER)
        if consent:
            consent_record_choices(user=user, choices=dict.fromkeys(ConsentPurpose.values, True))
        users.append(user)
    return users


def tracks_make(count: int, *, popularity: Sequence[int] | None = None) -> list[Track]:
    tracks = []
    for number in range(count):
        artist, _ = Artist.objects.get_or_create(name=f"Artist {number % 7}")
        track = Track.objects.create(
            source="test",
            source_id=f"t-{uuid.uuid4().hex}",
            title=f"Track {number}",
            popularity=popularity[number % len(popularity)] if popularity else 50,
            energy=0.5,
        )
        TrackArtist.objects.create(track=track, artist=artist, position=0)
        tracks.append(track)
    return tracks
