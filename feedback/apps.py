from typing import Any

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        from accounts import privacy
        from accounts.models import ConsentPurpose
        from feedback import services

        privacy.register_erasure_hook(services.events_erase_for_user)
        privacy.register_retention_hook(services.events_retention_purge)
        privacy.register_purpose_eraser(ConsentPurpose.LISTENING_HISTORY, services.listening_history_erase)
        privacy.register_withdrawal_hook(ConsentPurpose.PERSONALIZATION, services.cf_factors_withdraw)
        # Derived data in the export: the profile as the listener sees it (rows are there too).
        privacy.register_export_part("taste_profile", _taste_profile_export)
        # "More like this" radios (catalog) keep out what the listener disliked or left out.
        from catalog import radio

        radio.register_exclusion_provider(_radio_exclusions)


def _taste_profile_export(*, user: object) -> dict:
    from feedback.selectors import taste_profile

    return taste_profile(user=user).to_dict()  # type: ignore[arg-type]


def _radio_exclusions(*, user: Any) -> Any:
    from catalog.radio import RadioExclusions
    from feedback.models import ExclusionKind, TasteExclusion
    from feedback.selectors import disliked_tracks

    tracks = set(disliked_tracks(user=user))
    artists: set[int] = set()
    for kind, track_id, artist_id in TasteExclusion.objects.filter(
        user=user, kind__in=[ExclusionKind.TRACK, ExclusionKind.ARTIST]
    ).values_list("kind", "track_id", "artist_id"):
        if kind == ExclusionKind.TRACK and track_id:
            tracks.add(track_id)
        elif kind == ExclusionKind.ARTIST and artist_id:
            artists.add(artist_id)
    return RadioExclusions(track_ids=frozenset(tracks), artist_ids=frozenset(artists))
