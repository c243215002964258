"""The Intent shown as chips and sliders, and the listener's edits applied back to it."""

from __future__ import annotations

import pytest

from playlists.intent_edit import IntentEditError, intent_edit_apply, intent_panel
from playlists.replies import prompt_reply

INTENT = {
    "semantic_text": "chill 90s hip hop",
    "include_tags": [{"name": "hip hop", "confidence": 0.91, "source": "hip hop"}],
    "exclude_tags": ["gangster rap"],
    "avoid_tags": [],
    "exclude_artists": ["Drake"],
    "seed_artists": ["Nas"],
    "feature_ranges": {
        "energy": {"low": 0.0, "high": 0.45, "hard": False, "confidence": 0.8, "source": "chill"},
        "tempo": {"low": 80.0, "high": 100.0, "hard": True, "confidence": 1.0, "source": "80-100 bpm"},
        "duration_ms": {
            "low": 0.0,
            "high": 180000.0,
            "hard": True,
            "confidence": 1.0,
            "source": "under 3 minutes",
        },
    },
    "era": [1990, 1999],
    "size": 20,
    "duration_seconds": None,
    "familiarity": "new_only",
    "activity": None,
    "moods": ["chill"],
    "energy_arc": "ramp_down",
    "relaxed": [],
    "warnings": [],
}


def test_every_piece_of_the_intent_becomes_a_labelled_chip() -> None:
    labels = {chip.key: chip.label for chip in intent_panel(INTENT).chips}

    assert labels == {
        "include_tags:hip hop": "hip hop",
        "moods:chill": "chill",
        "seed_artists:Nas": "like Nas",
        "exclude_tags:gangster rap": "no gangster rap",
        "exclude_artists:Drake": "not Drake",
        "era": "1990–1999",
        "feature_ranges:energy": "energy 0.00–0.45",
        "feature_ranges:tempo": "80–100 BPM",
        "feature_ranges:duration_ms": "length 0:00–3:00",
        "familiarity": "only songs new to me",
        "energy_arc": "eases into calm songs",
        "size": "20 tracks",
    }


def test_audio_feature_ranges_become_sliders_within_the_features_limits() -> None:
    sliders = {slider.feature: slider for slider in intent_panel(INTENT).sliders}

    assert set(sliders) == {"energy", "tempo"}
    assert (sliders["energy"].low, sliders["energy"].high) == (0.0, 1.0)
    assert (sliders["tempo"].min_text, sliders["tempo"].max_text) == ("80", "100")
    assert intent_panel({}).chips == []


@pytest.mark.parametrize(
    ("key", "check"),
    [
        ("exclude_tags:gangster rap", lambda intent: intent["exclude_tags"] == []),
        ("include_tags:hip hop", lambda intent: intent["include_tags"] == []),
        ("feature_ranges:energy", lambda intent: "energy" not in intent["feature_ranges"]),
        ("era", lambda intent: intent["era"] is None),
        ("energy_arc", lambda intent: intent["energy_arc"] is None),
        ("size", lambda intent: intent["size"] is None),
    ],
)
def test_removing_a_chip_removes_only_that_piece(key: str, check) -> None:  # type: ignore[no-untyped-def]
    edited, summary = intent_edit_apply(INTENT, {"remove": key})

    assert check(edited)
    assert summary.startswith("Removed “")
    assert edited["seed_artists"] == ["Nas"]
    assert INTENT["exclude_tags"] == ["gangster rap"]  # the stored Intent is not changed in place


def test_a_moved_slider_becomes_the_listeners_own_hard_range() -> None:
    edited, summary = intent_edit_apply(
        INTENT, {"min_energy": "0.2", "max_energy": "0.1", "min_tempo": "80", "max_tempo": "100"}
    )

    assert edited["feature_ranges"]["energy"] == {
        "low": 0.1,
        "high": 0.2,
        "hard": True,
        "confidence": 1.0,
        "source": "your setting",
    }
    assert edited["feature_ranges"]["tempo"]["low"] == 80.0
    assert summary == "Set energy 0.10–0.20"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"remove": "exclude_tags:polka"}, "no longer part"),
        ({"min_energy": "0", "max_energy": "0.45"}, "Nothing changed"),
        ({"min_energy": "lots", "max_energy": "0.45"}, "not a number"),
    ],
)
def test_an_edit_that_cannot_apply_says_why(data: dict, message: str) -> None:
    with pytest.raises(IntentEditError, match=message):
        intent_edit_apply(INTENT, data)


def test_the_reply_says_what_was_not_understood_replaced_and_which_language_was_read() -> None:
    reply = prompt_reply(
        {
            "semantic_text": "jazz asdf",
            "not_understood": ["asdf"],
            "unknown_artists": ["Radiohead"],
            "language": "fr",
            "replaced": ["'less rock' replaced the wish for rock"],
        }
    )
    assert reply.lines() == [
        "Segue did not understand: asdf",
        "Radiohead is not in your library",
        "Replaced by your change: 'less rock' replaced the wish for rock",
        "Read as French",
    ]
    # A language Segue does not read has the parser's own warning ("… was read as English").
    assert not [line for line in prompt_reply({"language": "it"}).lines() if "Read as" in line]


def test_the_clean_chip_shows_and_removing_it_allows_explicit_tracks_again() -> None:
    intent = {"semantic_text": "rap", "clean": True}
    chips = {chip.key: chip.label for chip in intent_panel(intent).chips}
    assert chips["clean"] == "no explicit tracks"
    edited, summary = intent_edit_apply(intent, {"remove": "clean"})
    assert edited["clean"] is False and summary == "Removed “no explicit tracks”"
