from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "kam.documents"
    label = "documents"
    verbose_name = "Documents: files with versions on any record, templates, the register"

    def ready(self) -> None:
        from kam.documents import wiring

        wiring.connect()
