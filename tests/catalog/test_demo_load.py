import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Tag, Track

pytestmark = pytest.mark.django_db


def test_bootstrap_loads_demo_catalog_once_and_creates_demo_users(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("bootstrap_demo", "--tracks", "200")
    call_command("bootstrap_demo", "--tracks", "200")

    assert Track.objects.filter(source="demo").count() == 200
    assert not Track.objects.exclude(album__endswith="(demo)").exists()
    assert Tag.objects.filter(kind="genre").exists() and Tag.objects.filter(kind="mood").exists()
    assert Track.objects.filter(document__contains="genres and tags").count() == 200
    assert set(User.objects.values_list("email", flat=True)) == {
        "listener@segue.local",
        "curator@segue.local",
        "staff@segue.local",
    }
    assert User.objects.get(email="curator@segue.local").is_curator
    assert User.objects.get(email="listener@segue.local").check_password("segue-demo")
    out = capsys.readouterr().out
    assert "demo catalog not loaded" in out
    assert "listener@segue.local" in out
