from django.conf import settings
from django.db import models


class Dataset(models.Model):
    """An uploaded dataset; its arrays live in an .npz file under MEDIA_ROOT/datasets/."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    input_shape = models.JSONField()
    dtype = models.CharField(max_length=10)
    num_classes = models.IntegerField(null=True)
    classes = models.JSONField(default=list)
    train_size = models.IntegerField()
    test_size = models.IntegerField()
    content_hash = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
    TIMED_OUT = "timed_out"
    STATUSES = [(s, s) for s in (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT)]
    FINAL = (SUCCEEDED, FAILED, CANCELLED, TIMED_OUT)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    graph = models.ForeignKey("builder.Graph", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    # The snapshot that reproduces the run: the document as trained, the data, every setting.
    document = models.JSONField()
    dataset = models.CharField(max_length=40)
    dataset_name = models.CharField(max_length=100)
    dataset_hash = models.CharField(max_length=64)
    config = models.JSONField()
    versions = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    stop_requested = models.BooleanField(default=False)
    device = models.CharField(max_length=40, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    result = models.JSONField(null=True, blank=True)
    has_weights = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    lab = models.ForeignKey("classroom.Lab", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    late = models.BooleanField(default=False)  # started after its lab's deadline
    # Lifecycle bookkeeping, written only by trainer/lifecycle.py: when the run was handed to
    # Celery (None while it waits in the database), the attempt number its message carries, and
    # whether its worker is shutting down (it stops after the current step and goes back to the queue).
    dispatched = models.DateTimeField(null=True, blank=True, db_index=True)
    attempt = models.PositiveIntegerField(default=0)
    handback = models.BooleanField(default=False)
    weights_bytes = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class RunMessage(models.Model):
    """One stream message of a run (metric or status), stored before it is sent."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    payload = models.JSONField()

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_run_seq")]
