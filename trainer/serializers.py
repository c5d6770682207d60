from rest_framework import serializers

from .models import Run


class RunRequest(serializers.Serializer):
    """POST /api/runs/: every field but graph and dataset has the spec's default."""

    graph = serializers.JSONField()
    dataset = serializers.JSONField()
    epochs = serializers.IntegerField(default=10)
    batch_size = serializers.IntegerField(default=64)
    optimizer = serializers.CharField(default="adam")
    lr = serializers.FloatField(default=0.001)
    weight_decay = serializers.FloatField(default=0)
    momentum = serializers.FloatField(default=0.9)
    loss = serializers.CharField(default="cross_entropy")
    seed = serializers.IntegerField(default=0, min_value=0, max_value=2**31 - 1)
    val_fraction = serializers.FloatField(default=0.1)
    device = serializers.ChoiceField(choices=["auto", "cpu", "cuda"], default="auto")

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

    def get_queue_position(self, run: Run) -> int | None:
        if run.status != Run.QUEUED:
            return None
        return Run.objects.filter(status=Run.QUEUED, pk__lt=run.pk).count() + 1

    def get_name(self, run: Run) -> str:
        name = run.document.get("name") if isinstance(run.document, dict) else None
        return name or f"run {run.pk}"
