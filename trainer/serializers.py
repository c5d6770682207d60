from django.conf import settings
from rest_framework import serializers

from .engine.settings import Setting, declared
from .models import Run


def setting_field(setting: Setting) -> serializers.Field:
    """A DRF field from a declared training setting: its default, limits and help."""
    common = {"default": setting.default, "help_text": setting.help}
    if setting.kind == "choice":
        return serializers.ChoiceField(choices=list(setting.choices), **common)
    if setting.kind == "bool":
        return serializers.BooleanField(**common)
    if setting.kind == "int":
        return serializers.IntegerField(min_value=setting.low, max_value=setting.high, **common)
    return serializers.FloatField(**common)  # open and closed bounds: the engine's check words them


class RunRequest(serializers.Serializer):
    """POST /api/runs/: graph and dataset, then every declared training setting with its default."""

    graph = serializers.JSONField()
    dataset = serializers.JSONField()

    def get_fields(self):
        fields = super().get_fields()
        for name, setting in declared(settings.LAYERLAB_MAX_EPOCHS).items():
            fields[name] = setting_field(setting)
        return fields

    def validate_graph(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, dict)):
            raise serializers.ValidationError("give the id of a saved graph or a graph document")
        return value

    def validate_dataset(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise serializers.ValidationError("give a dataset id, e.g. \"digits\"")
        return value


class RunSerializer(serializers.ModelSerializer):
    queue_position = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "name", "status", "graph", "dataset", "dataset_name", "dataset_hash", "config",
                  "created", "started", "finished", "device", "queue_position", "result", "has_weights",
                  "versions", "document"]

    def get_queue_position(self, run: Run):
        if run.status != Run.QUEUED:
            return None
        return Run.objects.filter(status=Run.QUEUED, pk__lt=run.pk).count() + 1

    def get_name(self, run: Run) -> str:
        name = run.document.get("name") if isinstance(run.document, dict) else None
        return name or f"run {run.pk}"
