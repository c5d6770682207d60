import secrets

from django.conf import settings
from django.db import models

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: it is read off a board


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class Course(models.Model):
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courses_taught")
    name = models.CharField(max_length=100)
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A student in a course (the teacher is not a member)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["student__username"]
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="one_membership")]


class Lab(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="labs")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    starter = models.JSONField()
    locked = models.JSONField(default=list)
    allowed_blocks = models.JSONField(null=True, blank=True)
    dataset = models.CharField(max_length=40)  # a built-in id or the teacher's upload id
    public_fraction = models.FloatField(default=0.5)
    limits = models.JSONField(default=dict)  # every limit, the server's defaults filled in
    settings = models.JSONField(default=dict)  # training settings pinned by the teacher
    deadline = models.DateTimeField(null=True, blank=True)
    accept_late = models.BooleanField(default=True)  # past the deadline: mark late (True) or refuse
    published = models.BooleanField(default=False)
    revealed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return self.title


class LabWork(models.Model):
    """One student's place in a lab: their copy of the starter and the run they chose to count."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="work")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_work")
    design = models.ForeignKey("builder.Graph", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted = models.ForeignKey("trainer.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lab", "student"], name="one_work_per_lab")]
