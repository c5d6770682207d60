from django.conf import settings
from rest_framework import serializers

from classroom.scoring import hide_private

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
    dataset = serializers.JSONField(required=False)  # a lab run uses the lab's
    lab = serializers.IntegerField(required=False, min_value=1)

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
    can_continue = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "name", "status", "graph", "dataset", "dataset_name", "dataset_hash", "config",
                  "created", "started", "finished", "device", "queue_position", "result", "has_weights",
                  "versions", "document", "lab", "late", "parent", "can_continue"]

    def get_can_continue(self, run: Run) -> bool:
        """Whether "Continue training" can start from this run's last checkpoint."""
        from . import weights

        return run.is_final and not run.lab_id and weights.checkpoint_path(run.pk).exists()

    def to_representation(self, run: Run):
        data = super().to_representation(run)
        if not (run.lab_id and run.lab.revealed):
            data["result"] = hide_private(data["result"])  # the hidden score, until the teacher reveals it
        return data

    def get_queue_position(self, run: Run) -> int | None:
        """How many runs start before this one (fair order, see trainer/fairness.py), plus one."""
        if run.status != Run.QUEUED:
            return None
        positions = self.context.get("positions")
        if positions is None:
            from .lifecycle import queue_positions

            positions = self.context["positions"] = queue_positions()
        return positions.get(run.pk)

    def get_name(self, run: Run) -> str:
        name = run.document.get("name") if isinstance(run.document, dict) else None
        return name or f"run {run.pk}"
