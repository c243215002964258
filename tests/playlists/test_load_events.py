"""The load command's pieces, deterministically: what it starts, what it sends, how it checks.

The timed run itself (gunicorn under 16 listeners for 60 s) is a benchmark, not a test: its
figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import io
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from catalog.models import Track
from feedback.events import events_parse
from feedback.models import ListeningEvent
from playlists.management.commands.load_events import (
    Command,
    ListenerResult,
    ServerCpu,
    _batch,
    _percentile,
    free_loopback_port,
    process_cpu_seconds,
    process_tree_cpu_seconds,
    server_command,
    server_environment,
)
from tests.catalog.factories import TrackFactory


def _track() -> Track:
    return cast(Track, TrackFactory())


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_server_is_gunicorn_as_make_run_serves_it_on_loopback_only() -> None:
    command = server_command(8123)

    assert command[1:4] == ["-m", "gunicorn", "config.wsgi:application"]
    assert _option(command, "--bind") == "127.0.0.1:8123"
    assert (_option(command, "--worker-class"), _option(command, "--workers")) == ("gthread", "2")
    assert _option(command, "--threads") == "8"
    assert "--access-logfile" not in command  # a log line per batch would be measured too


def test_the_server_runs_with_debug_off_on_the_database_by_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://segue@localhost/segue")
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)

    environment = server_environment()

    assert environment["DEBUG"] == "false"
    assert environment["DATABASE_URL"] == "postgresql://segue@localhost/segue"
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.test"
    assert environment["REDIS_URL"].startswith("redis://")
    assert int(environment["DB_CONN_MAX_AGE"]) > 600  # backends live through the longest run


def test_the_free_port_can_be_bound_on_loopback() -> None:
    port = free_loopback_port()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))


def test_a_listeners_batches_repeat_with_its_seed_and_every_event_is_valid() -> None:
    tracks = [11, 12, 13]

    first = _batch(random.Random(7), tracks, 200)
    again = _batch(random.Random(7), tracks, 200)
    parsed, errors = events_parse(first, now=datetime.now(UTC))

    assert [event["id"] for event in first] == [event["id"] for event in again]
    assert len({event["id"] for event in first}) == 200
    assert errors == []
    assert len(parsed) == 200
    assert {event.track_id for event in parsed} <= set(tracks)
    assert {"like", "dislike"} <= {event.kind for event in parsed}


def test_percentiles_of_the_latencies() -> None:
    latencies = [float(value) for value in range(1, 101)]

    assert (_percentile(latencies, 0.5), _percentile(latencies, 0.95)) == (51.0, 95.0)
    assert _percentile([], 0.95) == 0.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--url", "http://example.com:8000"], "loopback"),
        (["--url", "http://10.0.0.5:8000"], "loopback"),
        (["--seconds", "0"], "--seconds"),
        (["--seconds", "601"], "--seconds"),
        (["--listeners", "65"], "--listeners"),
        (["--batch-size", "501"], "--batch-size"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("load_events", *arguments, stdout=io.StringIO())


def _stored(user: User, count: int) -> list[str]:
    track = _track()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    ListeningEvent.objects.bulk_create(
        ListeningEvent(
            user=user,
            client_event_id=event_id,
            kind="play",
            track=track,
            occurred_at=datetime.now(UTC),
            received_at=datetime.now(UTC),
            weight=0.1,
        )
        for event_id in ids
    )
    return ids


@pytest.mark.django_db
def test_the_check_holds_only_when_sent_stored_and_answered_agree(owner: User) -> None:
    ids = _stored(owner, 5)
    agreeing = ListenerResult(sent_ids=ids, stored=5, duplicates=2)
    answered_twice = ListenerResult(sent_ids=ids, stored=6)
    sent_twice = ListenerResult(sent_ids=[*ids, ids[0]], stored=5)

    checks = [Command()._check([owner], [result]) for result in (agreeing, answered_twice, sent_twice)]

    assert [check["exactly_once"] for check in checks] == [True, False, False]
    assert (checks[0]["rows"], checks[0]["retried_duplicates"]) == (5, 2)


@pytest.mark.django_db
def test_the_raw_copy_stores_the_same_rows_for_the_baseline_user(owner: User) -> None:
    track = _track()
    when = datetime.now(UTC).isoformat()
    result = ListenerResult(rows=[("play", when, track.pk, ""), ("skip", when, track.pk, 4000)])

    raw = Command()._raw_copy(owner, [result])

    assert raw["rows"] == 2
    assert sorted(ListeningEvent.objects.filter(user=owner).values_list("kind", "position_ms")) == [
        ("play", None),
        ("skip", 4000),
    ]


def test_server_cpu_is_read_for_a_process_and_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; sum(range(30_000_000)); time.sleep(60)"])
    try:
        give_up = time.monotonic() + 50
        while process_cpu_seconds(child.pid) < 0.2 and time.monotonic() < give_up:
            time.sleep(0.05)  # until the child has burned its share (then it sleeps)
        own, tree = process_cpu_seconds(os.getpid()), process_tree_cpu_seconds(os.getpid())
    finally:
        child.kill()
        child.wait()

    assert own > 0
    assert tree >= own + 0.2
    assert process_cpu_seconds(2**31 - 1) == 0.0  # no such process


def test_the_cpu_summary_gives_ms_per_batch_and_events_per_cpu_second() -> None:
    started_here = ServerCpu(web=6.0, database=4.0).summary(events=100_000, batches=400)
    over_url = ServerCpu(web=None, database=4.0).summary(events=100_000, batches=400)

    assert started_here.endswith("25.0 ms per batch, 10,000 events per CPU-second")
    assert "web not measured (--url)" in over_url
    assert over_url.endswith("10.0 ms per batch, 25,000 events per CPU-second")
