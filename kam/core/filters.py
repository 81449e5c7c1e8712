import django_filters
from auditlog.models import LogEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(method="filter_model", label="app_label.model")
    object_pk = django_filters.CharFilter()
    actor = django_filters.NumberFilter(field_name="actor_id")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = LogEntry
        fields = ["model", "object_pk", "actor", "since", "until"]

    def filter_model(self, queryset, name, value):  # type: ignore[no-untyped-def]
        app_label, _, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)
