from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"
    verbose_name = "KAM core"

    def ready(self) -> None:
        from kam.core import audit, registry

        audit.connect()
        registry.register_nav(
            registry.NavItem(
                "audit", _("Audit trail"), "core:audit_list", "journal-text", order=950
            )
        )
        registry.register_nav(
            registry.NavItem("trash", _("Trash"), "core:trash", "trash", order=960)
        )
