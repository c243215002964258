from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"

    def ready(self) -> None:
        from editorial.ops_services import privacy_hooks_register

        privacy_hooks_register()
