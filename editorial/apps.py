from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"

    def ready(self) -> None:
        from accounts.privacy import register_erasure_hook
        from editorial.ops_services import privacy_hooks_register
        from editorial.services import audit_actor_forget

        register_erasure_hook(audit_actor_forget)
        privacy_hooks_register()
