"""Courses and labs as the API reads and writes them."""
from dataclasses import fields as dc_fields

from django.http import Http404
from rest_framework import serializers

from builder.api import limits as graph_limits
from builder.document import check_document
from builder.errors import GraphInvalid
from trainer.dataset_store import resolve
from trainer.engine.job import config_from
from trainer.engine.loop import TrainConfig
from trainer.serializers import RunSerializer

from . import rules
from .limits import server_limits
from .models import Lab

PINNABLE = tuple(f.name for f in dc_fields(TrainConfig) if f.name != "output_is_probability")
LAB_FIELDS = ["id", "course", "title", "instructions", "starter", "locked", "allowed_blocks", "dataset",
              "public_fraction", "limits", "settings", "deadline", "accept_late", "published", "revealed"]


def course_json(course, role: str) -> dict:
    data = {"id": course.pk, "name": course.name, "role": role, "teacher": course.teacher.username,
            "created": course.created}
    if role == "teacher":
        data["join_code"] = course.join_code
    return data


class CourseRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class LabSerializer(serializers.ModelSerializer):
    starter = serializers.JSONField()
    locked = serializers.JSONField(required=False)
    allowed_blocks = serializers.JSONField(required=False, allow_null=True)
    dataset = serializers.JSONField()
    public_fraction = serializers.FloatField(required=False, min_value=0.05, max_value=0.95)
    limits = serializers.JSONField(required=False)
    settings = serializers.JSONField(required=False)
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=50_000)

    class Meta:
        model = Lab
        fields = LAB_FIELDS
        read_only_fields = ["id", "course"]

    def validate_starter(self, value):
        try:
            check_document(value, graph_limits())
        except GraphInvalid as exc:
            raise serializers.ValidationError("the starter is not a valid design: " +
                                              "; ".join(e.message for e in exc.errors)) from None
        except Exception as exc:  # noqa: BLE001 - e.g. RecursionError from absurd nesting
            raise serializers.ValidationError(f"the starter could not be read ({type(exc).__name__})") from None
        return value

    def validate_dataset(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise serializers.ValidationError("give a dataset id, e.g. \"digits\"")
        try:
            arrays, _ = resolve(value, self.context["teacher"])
        except Http404 as exc:
            raise serializers.ValidationError(str(exc)) from None
        if not arrays.num_classes:
            raise serializers.ValidationError("a lab is scored by accuracy: choose a dataset with class labels")
        if arrays.test_size < 2:
            raise serializers.ValidationError("the dataset's test split needs at least 2 samples to hide")
        return str(value)

    def validate_limits(self, value):
        try:
            limits = rules.parse_limits(value, server_limits())
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return {name: getattr(limits, name) for name in rules.LIMIT_NAMES}

    def validate_settings(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("settings must be an object such as {\"batch_size\": 64}")
        unknown = sorted(set(value) - set(PINNABLE))
        if unknown:
            raise serializers.ValidationError(f"{unknown[0]!r} is not a training setting; use {', '.join(PINNABLE)}")
        try:
            problems = config_from(value).check()
        except TypeError as exc:
            problems = [str(exc)]
        if problems:
            raise serializers.ValidationError("; ".join(problems))
        return value

    def validate(self, attrs):
        merged = {name: attrs.get(name, getattr(self.instance, name, None)) for name in LAB_FIELDS[2:]}
        problems = rules.check_lab_design(merged["starter"], merged["locked"] or [], merged["allowed_blocks"])
        epochs, limits = (merged["settings"] or {}).get("epochs"), merged["limits"] or {}
        if epochs and epochs > limits.get("max_epochs", server_limits().max_epochs):
            problems.append(f"the pinned epochs ({epochs}) are over the lab's max_epochs")
        if problems:
            raise serializers.ValidationError("; ".join(problems))
        if self.instance is None:
            attrs.setdefault("limits", self.validate_limits({}))
        return attrs


class TeacherRunSerializer(RunSerializer):
    """A run as the course's teacher reads it: with its student, and score_private."""

    def to_representation(self, run):
        data = super(RunSerializer, self).to_representation(run)
        data["student"], data["student_id"] = run.owner.username, run.owner_id
        return data
