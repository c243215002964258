from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"

    def ready(self) -> None:
        from accounts.privacy import register_erasure_hook
        from catalog.metadata_edits import register_edit_recorder
        from editorial.audit import audit_record
        from editorial.ops_services import privacy_hooks_register
        from editorial.services import audit_actor_forget

        register_erasure_hook(audit_actor_forget)
        # Staff fixes to catalog metadata are recorded in the desk's audit log.
        register_edit_recorder(audit_record)
        privacy_hooks_register()
