from rest_framework import serializers

from .config import limits
from .models import Graph
from .summary import summarize


class GraphSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=False)
    document = serializers.JSONField()
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Graph
        fields = ["id", "name", "document", "summary", "created", "updated"]
        read_only_fields = ["id", "summary", "created", "updated"]

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
