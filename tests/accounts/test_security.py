"""Security settings: check --deploy, the Content-Security-Policy, CSRF on every form."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def test_production_settings_pass_check_deploy_with_no_warning() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "segue.example.org",
        "REDIS_URL": settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_templates_have_no_inline_script_or_event_handlers() -> None:
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text):
            offenders.append(str(template.relative_to(TEMPLATES)))

    assert offenders == []


def test_every_post_form_carries_a_csrf_token() -> None:
    missing = []
    for template in TEMPLATES.rglob("*.html"):
        for body in POST_FORM.findall(template.read_text()):
            if "{% csrf_token %}" not in body:
                missing.append(str(template.relative_to(TEMPLATES)))

    assert missing == []


def test_pages_send_a_strict_content_security_policy(client: Client, owner: User) -> None:
    client.force_login(owner)

    policy = client.get("/privacy/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy


def test_htmx_posts_carry_the_csrf_token_in_hx_headers(client: Client, owner: User) -> None:
    client.force_login(owner)

    html = client.get("/privacy/").content.decode()

    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)


def test_posts_without_csrf_token_are_refused(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post("/privacy/consents/experiments/", {"granted": "no"}).status_code == 403
