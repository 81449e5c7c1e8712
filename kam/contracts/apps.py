from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "kam.contracts"
    label = "contracts"
    verbose_name = "Contracts: contracts, obligations, renewals, referral clause"

    def ready(self) -> None:
        from kam.contracts import wiring

        wiring.connect()
