from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "kam.users"
    label = "users"
    verbose_name = "Users, teams and departments"

    def ready(self) -> None:
        from kam.users import wiring

        wiring.connect()
