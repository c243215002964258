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
