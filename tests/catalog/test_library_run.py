"""`make run` with SEGUE_MUSIC_DIR scans that folder; a worker of its own serves the analysis queue."""

from __future__ import annotations

from config import run


def test_a_music_folder_adds_a_step_that_queues_its_scan() -> None:
    assert [name for name, _ in run.prepare_steps()] == ["migrate", "static", "demo"]
    name, command = run.prepare_steps("/srv/music")[-1]
    assert name == "music"
    assert command[-3:] == ["scan_library", "/srv/music", "--background"]


def test_a_second_worker_takes_the_library_queues_one_task_at_a_time() -> None:
    commands = dict(run.server_commands("127.0.0.1", "8000"))
    library = commands["library"]
    assert "--queues=library,analysis" in library and "--concurrency=1" in library
    assert not any(argument.startswith("--queues") for argument in commands["worker"])
