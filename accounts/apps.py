from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import privacy, schema  # noqa: F401  (schema: the token scheme for drf-spectacular)
        from accounts.erase_offers import register_withdrawal_hooks
        from accounts.services import login_attempts_export

        # django-axes keys its records by the login name, not by a relation to the user.
        privacy.register_export_part("login_attempts", login_attempts_export)
        # A withdrawal opens an offer to delete the data, kept until answered.
        register_withdrawal_hooks()
