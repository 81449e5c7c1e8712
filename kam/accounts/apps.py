from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kam.accounts"
    label = "accounts"
    verbose_name = "Accounts and contacts"

    def ready(self) -> None:
        from kam.accounts import wiring

        wiring.connect()
