"""Plain words for what Segue holds about a person: each kind of data (a model reached from the
user, see ``accounts.privacy``) gets a label and one sentence a listener can read, used by the
privacy center and the export's summary. Pure data: no Django import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataKind:
    label: str
    sentence: str


DATA_KINDS: dict[str, DataKind] = {
    # accounts
    "accounts.consentrecord": DataKind(
        "Your consent answers", "Every yes or no you gave, with the policy version it was under."
    ),
    "accounts.dataexport": DataKind(
        "Data downloads you asked for", "Each download of your data and its status."
    ),
    "accounts.personalaccesstoken": DataKind(
        "API tokens", "Keys you made for apps to use Segue for you (their secrets are never stored)."
    ),
    "feedback.tasteseed": DataKind(
        "Genres and artists you picked", "What you chose when you joined; it seeds your first playlists."
    ),
    "accounts.eraseoffer": DataKind(
        "Open questions about your data", "Offers to delete data after you withdrew a consent."
    ),
    "accounts.user_groups": DataKind("Your roles", "Whether you are a listener, a curator or staff."),
    "accounts.user_user_permissions": DataKind("Extra permissions", "Permissions given to you individually."),
    "admin.logentry": DataKind("Admin actions", "Changes you made in the admin site (staff only)."),
    # catalog
    "catalog.catalogimport": DataKind(
        "Catalog imports you started", "Track lists you uploaded to the catalog."
    ),
    "catalog.libraryscan": DataKind(
        "Library scans you started", "Times you asked Segue to read a music library."
    ),
    "catalog.librarysource": DataKind("Music libraries you added", "Folders and servers you connected."),
    "catalog.subsoniclink": DataKind(
        "Your linked media server accounts", "Your accounts on Subsonic-compatible servers (Navidrome…)."
    ),
    "catalog.subsonicpush": DataKind(
        "Playlists sent to your media servers", "Which playlists you pushed to your media server, and when."
    ),
    # playlists
    "playlists.playlist": DataKind("Your playlists", "Each playlist with the prompt you typed."),
    "playlists.playlistversion": DataKind(
        "Versions of your playlists", "Every time a playlist was made, refined or refreshed."
    ),
    "playlists.playlistitem": DataKind(
        "Tracks in your playlists", "The tracks of each version, with why each one was chosen."
    ),
    # feedback
    "feedback.listeningevent": DataKind(
        "Your plays, skips and likes", "What you did with each track, and when (kept for a limited time)."
    ),
    "feedback.trackaffinity": DataKind(
        "How much you like each track",
        "Worked out from your plays, skips and likes; it shapes your playlists.",
    ),
    "feedback.userfactor": DataKind(
        "Your taste profile", "A compact summary of your taste learned from listeners' history."
    ),
    "feedback.policystat": DataKind(
        "Which recommendation methods suit you", "How well each way of picking tracks has worked for you."
    ),
    "feedback.tasteexclusion": DataKind(
        "Things you asked not to hear", "Tracks, artists or genres you ruled out."
    ),
    "feedback.historyimport": DataKind(
        "Listening history you imported", "Files of past listening you uploaded."
    ),
    # editorial
    "editorial.report": DataKind("Your reports", "Tracks or playlists you reported to the editors."),
    "editorial.reviewitem": DataKind(
        "Editor reviews of your playlists", "Playlists of yours an editor looked at (and reviews you closed)."
    ),
    "editorial.versiontheme": DataKind(
        "Editorial themes of your playlists", "Which editorial theme each playlist version was matched to."
    ),
    "experiments.versionassignment": DataKind(
        "Experiment groups", "Which test group a playlist of yours was in (only with your consent)."
    ),
    "experiments.simulatedoutcome": DataKind(
        "Simulated listening", "Made-up outcomes used to try experiments on your playlists."
    ),
    "editorial.auditentry": DataKind(
        "Your editorial actions", "The desk's record of what you did as a curator."
    ),
    "editorial.artistboost": DataKind("Artist boosts you made", "Artists you gave more room in a theme."),
    "editorial.block": DataKind("Blocks you made", "Tracks or artists you kept out of playlists."),
    "editorial.editorialplaylist": DataKind(
        "Editorial playlists you made", "Playlists you built for everyone."
    ),
    "experiments.experiment": DataKind("Experiments you started", "A/B tests of recommendation methods."),
    "editorial.themepin": DataKind("Tracks you pinned", "Tracks you placed in an editorial theme."),
    "editorial.trackdecision": DataKind(
        "Your review decisions", "Tracks you approved or rejected in reviews."
    ),
}


def _plural_words(verbose_name_plural: str) -> str:
    """A model's plural name as words, with Django's naive "-ys" plural mended."""
    words = verbose_name_plural.strip()
    if words.endswith("ys") and len(words) > 2 and words[-3] not in "aeiou":
        words = words[:-2] + "ies"
    return words[:1].upper() + words[1:]


def data_kind(model_label: str, verbose_name_plural: str) -> DataKind:
    """The words for a kind of data (``app.model``); a kind added later without words here still
    reads as a plain plural rather than a code name."""
    return DATA_KINDS.get(model_label) or DataKind(_plural_words(verbose_name_plural), "")


def retention_sentences(*, event_retention_days: int, export_ttl_hours: int) -> list[str]:
    """How long things are kept, in numbers (from the settings' values, never their names)."""
    return [
        f"Your plays, skips and likes are kept for {_days(event_retention_days)}; after that they are "
        "folded into anonymous counts per track and deleted.",
        f"A download of your data can be fetched for {_hours(export_ttl_hours)} after it is ready, "
        "then the file is deleted.",
        "Everything else stays until you delete it or your account.",
    ]


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _hours(hours: int) -> str:
    if hours % 24 == 0 and hours >= 48:
        return f"{hours // 24} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


# The published policy texts name settings in brackets; shown to a person, each becomes its value.
POLICY_SETTING_WORDS = {
    "EVENT_RETENTION_DAYS": _days,
    "DATA_EXPORT_TTL_HOURS": _hours,
}


def policy_for_reading(text: str, settings_values: dict[str, int]) -> str:
    """A policy text with every setting name it mentions replaced by the setting's value in words."""
    for name, words in POLICY_SETTING_WORDS.items():
        if name in text and name in settings_values:
            text = text.replace(name, words(settings_values[name]))
    return text
