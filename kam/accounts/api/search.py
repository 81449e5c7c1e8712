"""Full-text search over accounts and contacts: `GET /api/v1/search/?q=&limit=`.

The same search as the Ctrl-K palette (`kam.accounts.search`): ranked, typo-tolerant, and only
what the user may see. A bounded list (at most `limit` hits, best first), not a paginated one.
"""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts.search import MAX_LIMIT, search


class SearchQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    q = serializers.CharField(
        allow_blank=True,
        trim_whitespace=True,
        max_length=1000,
        help_text="What to look for: names, e-mails, phones, tax numbers, notes. Typos are "
        "tolerated; fewer than two characters find nothing.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=8)


class SearchHitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=["account", "contact"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    url = serializers.CharField(help_text="The record's page in the web UI.")
    score = serializers.FloatField(help_text="0 to 1; 1 is an exact match.")


class SearchOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    query = serializers.CharField()
    results = SearchHitSerializer(many=True)


class SearchViewSet(viewsets.ViewSet):
    """Search accounts and contacts; results are only what the user may see."""

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchOutputSerializer)
    def list(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query, limit = params.validated_data["q"], params.validated_data["limit"]
        hits = search(request.user, query, limit)
        return Response(
            SearchOutputSerializer({"query": query, "results": [asdict(h) for h in hits]}).data
        )
