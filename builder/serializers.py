from rest_framework import serializers

from .config import limits
from .models import Graph
from .summary import summarize


class GraphSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=False)
    document = serializers.JSONField()
    summary = serializers.SerializerMethodField()
    weights = serializers.CharField(write_only=True, required=False,
                                    help_text="the token POST /api/graphs/import/ answered: keep its weights as the design's starting weights")
    has_initial_weights = serializers.SerializerMethodField()

    class Meta:
        model = Graph
        fields = ["id", "name", "document", "summary", "weights", "has_initial_weights", "created", "updated"]
        read_only_fields = ["id", "summary", "has_initial_weights", "created", "updated"]

    def get_has_initial_weights(self, graph: Graph) -> bool:
        from .initial_weights import graph_path

        return graph_path(graph.pk).exists()

    def validate_weights(self, value):
        from .initial_weights import check_token

        problem = check_token(self.context["request"].user.pk, value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def get_summary(self, graph: Graph) -> dict:
        return summarize(graph.document, limits())

    def validate_document(self, value):
        # A design in progress may be invalid (the summary says why) but must be a document.
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object in the layerlab.graph/1 format")
        if value.get("format") != "layerlab.graph/1":
            raise serializers.ValidationError('"format" must be "layerlab.graph/1"')
        return value

    def validate(self, attrs):
        if not attrs.get("name") and self.instance is None:
            name = attrs.get("document", {}).get("name")
            if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
                raise serializers.ValidationError({"name": "give the design a name of 1-100 characters"})
            attrs["name"] = name.strip()
        return attrs
