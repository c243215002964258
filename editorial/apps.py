from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"

    def ready(self) -> None:
        from accounts.privacy import register_erasure_hook
        from catalog.metadata_edits import register_edit_recorder
        from editorial.audit import audit_record
        from editorial.generation import rules_choose, version_theme_record
        from editorial.services import audit_actor_forget
        from playlists import providers

        register_erasure_hook(audit_actor_forget)
        # Generation reads the curator rules and records the theme through playlists' hooks.
        providers.rules_provider_register(rules_choose)
        providers.version_recorder_register("editorial", version_theme_record)
        # Staff fixes to catalog metadata are recorded in the desk's audit log.
        register_edit_recorder(audit_record)
