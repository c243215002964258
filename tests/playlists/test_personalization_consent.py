"""Personalization rests on the `personalization` consent: without it, no taste is used."""

from __future__ import annotations

import numpy as np
import pytest

from accounts.models import ConsentPurpose, User
from accounts.services import consent_withdraw
from catalog.models import Artist
from feedback.models import TasteSeed
from playlists.generation import personalization_context
from tests.catalog.factories import TagFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(owner: User) -> User:
    nina = Artist.objects.create(name="Nina Simone")
    jazz = TagFactory(name="jazz")
    TrackFactory(artists=[nina], popularity=90)
    TrackFactory(tags=[jazz], popularity=80)
    TrackFactory(popularity=99)  # neither seeded artist nor genre: not in the taste
    TasteSeed.objects.create(user=owner, artist=nina)
    TasteSeed.objects.create(user=owner, tag=jazz)
    return owner


def test_onboarding_picks_seed_the_taste_of_a_consenting_listener(seeded: User) -> None:
    context = personalization_context(seeded)

    assert context is not None
    assert context.favourite_artist_names == ("Nina Simone",)
    assert context.taste_vector is not None
    assert float(np.linalg.norm(context.taste_vector)) == pytest.approx(1.0, abs=1e-5)


def test_without_the_personalization_consent_no_taste_is_used(seeded: User) -> None:
    consent_withdraw(user=seeded, purpose=ConsentPurpose.PERSONALIZATION)

    assert personalization_context(seeded) is None


def test_a_listener_with_no_picks_and_no_history_gets_no_personalization(owner: User) -> None:
    assert personalization_context(owner) is None
