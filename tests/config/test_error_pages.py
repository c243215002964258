"""Branded error pages with DEBUG off, and the web server `make run` / `make dev` start."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.views import defaults

from accounts.models import User
from config import launch

BRAND = 'class="brand"'


@pytest.mark.django_db
def test_unknown_url_gets_the_branded_404_not_the_url_list(client: Client) -> None:
    response = client.get("/no/such/page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert BRAND in page and "Page not found" in page
    assert "URLconf" not in page and "urlpatterns" not in page


@pytest.mark.django_db
def test_listener_at_the_desk_gets_the_branded_403(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.get("/desk/")

    assert response.status_code == 403
    assert BRAND in response.content.decode() and "Not allowed" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_method_gets_the_branded_405_with_its_allow_header(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert BRAND in response.content.decode() and "does not accept" in response.content.decode()


@pytest.mark.django_db
def test_api_405_stays_json(api_client: object, owner: User) -> None:
    api_client.force_authenticate(owner)  # type: ignore[attr-defined]

    response = api_client.put("/api/me/")  # type: ignore[attr-defined]

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_400_and_500_pages_are_branded() -> None:
    request = RequestFactory().get("/")

    bad = defaults.bad_request(request, BadRequest("nope"))
    broken = defaults.server_error(request)

    assert bad.status_code == 400 and BRAND in bad.content.decode()
    assert broken.status_code == 500 and BRAND in broken.content.decode()
    assert "Something went wrong" in broken.content.decode()


def test_make_run_turns_debug_off_and_make_dev_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # What every process `make run` / `make dev` starts inherits (the web server choice is in
    # tests/config/test_launch.py).
    for name in ("SEGUE_WEB_SERVER", "SEGUE_DATA_DIR", "XDG_RUNTIME_DIR", "PYTHONUNBUFFERED", "PATH"):
        if name in os.environ:  # restored after the test, like DEBUG
            monkeypatch.setenv(name, os.environ[name])
        else:  # set, then removed: the undo removes what the launcher sets
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.setattr(launch, "load_dotenv", lambda: None)
    monkeypatch.chdir(launch.BASE_DIR)
    seen = []
    for dev in (False, True):
        launch.environment_prepare(dev=dev)
        seen.append((os.environ["DEBUG"], os.environ["SEGUE_WEB_SERVER"]))

    assert seen == [("false", "gunicorn"), ("true", "runserver")]
