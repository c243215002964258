from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        # Imported here, not at the top: models can be imported only once the app registry is ready.
        from accounts import privacy
        from accounts.models import ConsentPurpose
        from catalog import radio
        from feedback import selectors, services, subsonic_history

        privacy.register_erasure_hook(services.events_erase_for_user)
        privacy.register_retention_hook(services.events_retention_purge)
        privacy.register_purpose_eraser(ConsentPurpose.LISTENING_HISTORY, services.listening_history_erase)
        privacy.register_purpose_eraser(
            ConsentPurpose.LISTENING_HISTORY, subsonic_history.subsonic_history_reports_erase
        )
        privacy.register_withdrawal_hook(ConsentPurpose.PERSONALIZATION, services.cf_factors_withdraw)
        # Derived data in the export: the profile as the listener sees it (rows are there too).
        privacy.register_export_part("taste_profile", selectors.taste_profile_export)
        # "More like this" radios (catalog) keep out what the listener disliked or left out.
        radio.register_exclusion_provider(selectors.radio_exclusions)
