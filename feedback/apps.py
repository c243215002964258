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
        # Derived data in the export: the profile as the listener sees it (rows are there too).
        privacy.register_export_part("taste_profile", _taste_profile_export)


def _taste_profile_export(*, user: object) -> dict:
    from feedback.selectors import taste_profile

    return taste_profile(user=user).to_dict()  # type: ignore[arg-type]
