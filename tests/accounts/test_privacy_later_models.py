"""A model another app adds later is exported and erased with no change in accounts.

The test declares three models at run time (a playlist owned by its user, its items owned
through it, and an event whose key to the user PROTECTs it), creates their tables inside the
test's transaction, and checks that discovery, export and erasure all cover them.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, models
from pytest_django.fixtures import Settings

from accounts.exports import data_export_build, data_export_request
from accounts.models import User
from accounts.privacy import user_relations
from accounts.services import account_erase

pytestmark = pytest.mark.django_db

LABEL = "accounts"


@pytest.fixture
def later_models() -> Iterator[dict[str, type[models.Model]]]:
    class LaterPlaylist(models.Model):  # noqa: DJ008
        owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
        title = models.CharField(max_length=100)

        class Meta:
            app_label = LABEL

    class LaterPlaylistItem(models.Model):  # noqa: DJ008
        playlist = models.ForeignKey(LaterPlaylist, on_delete=models.CASCADE, related_name="+")
        position = models.IntegerField()

        class Meta:
            app_label = LABEL

    class LaterEvent(models.Model):  # noqa: DJ008
        listener = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
        kind = models.CharField(max_length=20)

        class Meta:
            app_label = LABEL

    created = [LaterPlaylist, LaterPlaylistItem, LaterEvent]
    try:
        # DDL is transactional in PostgreSQL: the test's rollback drops the tables again.
        with connection.schema_editor() as editor:
            for model in created:
                editor.create_model(model)
        yield {model.__name__: model for model in created}
    finally:
        for model in created:
            apps.all_models[LABEL].pop(model._meta.model_name, None)
        apps.clear_cache()


def test_later_models_are_found_exported_and_erased(
    later_models: dict[str, type[models.Model]],
    owner: User,
    other_user: User,
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    playlist_model, item_model, event_model = later_models.values()
    mine = playlist_model._default_manager.create(owner=owner, title="Evening jazz")
    theirs = playlist_model._default_manager.create(owner=other_user, title="Their list")
    for position in range(3):
        item_model._default_manager.create(playlist=mine, position=position)
    item_model._default_manager.create(playlist=theirs, position=0)
    event_model._default_manager.create(listener=owner, kind="play")
    event_model._default_manager.create(listener=other_user, kind="skip")

    relations = {relation.label: relation for relation in user_relations()}
    assert relations["accounts.laterplaylist"].lookups == ("owner",)
    assert relations["accounts.laterplaylistitem"].lookups == ("playlist__owner",)
    assert relations["accounts.laterevent"].lookups == ("listener",)

    export = data_export_request(user=owner)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    with zipfile.ZipFile(tmp_path / export.file_path) as archive:
        assert len(json.loads(archive.read("data/accounts.laterplaylist.json"))) == 1
        assert len(json.loads(archive.read("data/accounts.laterplaylistitem.json"))) == 3
        assert len(json.loads(archive.read("data/accounts.laterevent.json"))) == 1

    assert account_erase(user_id=owner.pk)

    assert not playlist_model._default_manager.filter(owner_id=owner.pk).exists()
    assert item_model._default_manager.count() == 1
    assert list(event_model._default_manager.values_list("kind", flat=True)) == ["skip"]
