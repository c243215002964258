"""Generation reads the listener's variant through ``playlists.providers`` and writes the
assignment only with the version it built: a generation that fails assigns nobody."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.pseudonyms import pseudonym_for
from editorial.experiments.models import Assignment, VersionAssignment
from editorial.models import VersionTheme
from playlists import providers
from playlists.models import VersionStatus
from playlists.services import playlist_version_build
from tests.experiments.factories import experiment_make
from tests.playlists.factories import playlist_make, version_make

pytestmark = pytest.mark.django_db


def test_the_experiment_and_the_desk_are_registered_with_generation() -> None:
    assert providers._variant_provider is not None and providers._rules_provider is not None
    assert {"editorial", "experiments"} <= set(providers._recorders)


def test_a_generation_that_fails_assigns_nobody_and_records_nothing(owner: User) -> None:
    experiment_make()
    assert providers.variant_choose(user=owner) is not None  # the listener is in the experiment
    # A prompt with no words passes no check of the engine: composing it fails.
    version = version_make(playlist_make(owner=owner, prompt="!!! ???"), status=VersionStatus.QUEUED)
    playlist_version_build(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED and version.error
    assert not Assignment.objects.filter(pseudonym=pseudonym_for(owner)).exists()
    assert not VersionAssignment.objects.filter(version=version).exists()
    assert not VersionTheme.objects.filter(version=version).exists()
