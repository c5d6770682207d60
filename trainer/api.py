"""Runs and datasets: a REST shell around the trainer's core (engine, uploads, stream)."""
import math
import platform

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.config import limits
from builder.models import Graph
from builder.summary import summarize

from classroom.runs import check_lab_run
from webapp.errors import flatten, rejected

from . import lifecycle, weights
from .dataset_store import declared
from .engine.job import JobError, check_job
from .limits import LimitReached, check_memory, check_storage, check_waiting
from .models import Run
from .pagination import HeaderPagination
from .serializers import RunRequest, RunSerializer
from .stream import messages_after


def versions() -> dict:
    import numpy
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__}


def graph_document(value, user) -> tuple[dict, Graph | None]:
    if isinstance(value, dict):
        return value, None
    graph = Graph.objects.filter(pk=value, owner=user).first()
    if graph is None:
        raise Http404(f"no saved graph {value}")
    return graph.document, graph


def checked_request(request) -> tuple[dict, Graph | None, dict, dict, dict, dict]:
    body = RunRequest(data=request.data)
    body.is_valid(raise_exception=True)
    options = dict(body.validated_data)
    document, graph = graph_document(options.pop("graph"), request.user)
    summary = summarize(document, limits())  # once: the lab's parameter limit, the job's checks and the memory estimate
    lab_run = check_lab_run(request.user, options, document, summary.get("params"))  # dataset, pinned settings, rules
    options = lab_run.options
    arrays, dataset = declared(options.pop("dataset"), lab_run.dataset_owner)  # never downloads in a web request
    try:
        config, notes = check_job(document, arrays, options, limits(), summary)
        if lab_run.problems:
            raise JobError([])
    except JobError as exc:
        problems = lab_run.problems + exc.problems
        raise rejected("; ".join(p["message"] for p in problems), problems=problems) from None
    # From the declared sizes: a downloadable dataset may not be here yet (float32 is the upper bound).
    data_bytes = (dataset["train_size"] + dataset["test_size"]) * math.prod(dataset["input_shape"]) * 4
    try:
        check_memory(summary, config.batch_size, data_bytes, config.optimizer)
    except LimitReached as exc:
        raise rejected(str(exc), problems=[{"node": None, "param": "batch_size", "message": str(exc),
                                            "fix": None}]) from None
    return document, graph, dataset, options, {"notes": notes, **lab_run.result}, lab_run.fields


def over_limit(exc: LimitReached) -> Response:
    return Response({"detail": str(exc)}, status=exc.status)


class RunCheck(APIView):
    """Like the summary: 200 with {"ok": false, "detail", "problems"} when the run could not start,
    so the run form can show the fixes without an HTTP error."""

    @extend_schema(request=dict, responses=dict, summary="Check a run request without starting it")
    def post(self, request):
        try:
            checked_request(request)
        except Http404 as exc:
            return Response({"ok": False, "detail": str(exc), "problems": [
                {"node": None, "param": None, "message": str(exc), "fix": None}]})
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"detail": flatten(exc.detail)}
            if "problems" not in detail:
                detail = {"detail": flatten(detail), "problems": [{"node": None, "param": None,
                                                                   "message": flatten(detail), "fix": None}]}
            return Response(dict(detail, ok=False))
        return Response({"ok": True, "problems": []})


def serializer_context() -> dict:
    return {"positions": lifecycle.queue_positions()}


class RunList(generics.ListCreateAPIView):
    serializer_class = RunSerializer
    pagination_class = HeaderPagination

    def get_queryset(self):
        return Run.objects.filter(owner=self.request.user)

    def get_serializer_context(self):
        return dict(super().get_serializer_context(), **serializer_context())

    @extend_schema(request=dict, responses=RunSerializer)
    def post(self, request):
        try:
            check_waiting(request.user)
            check_storage(request.user)
        except LimitReached as exc:
            return over_limit(exc)
        document, graph, dataset, options, extra, lab_fields = checked_request(request)
        with transaction.atomic():
            run = Run.objects.create(owner=request.user, graph=graph, document=document,
                                     dataset=str(dataset["id"]), dataset_name=dataset["name"],
                                     dataset_hash=dataset["hash"] or "", config=options, versions=versions(),
                                     result=extra, **lab_fields)
            lifecycle.do_enqueue(run)  # its queued status reaches the teacher's wall too
        run.refresh_from_db()
        return Response(RunSerializer(run, context=serializer_context()).data, status=status.HTTP_201_CREATED)


class OwnedRun(generics.GenericAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        return Run.objects.filter(owner=self.request.user)

    def get_run(self) -> Run:
        return self.get_object()


class RunDetail(OwnedRun):
    def get(self, request, pk):
        return Response(RunSerializer(self.get_run(), context=serializer_context()).data)

    def delete(self, request, pk):
        run = self.get_run()
        if not run.is_final:
            return Response({"detail": f"the run is {run.status}; stop it first, then delete it"}, status=409)
        weights.remove(run.pk)
        run.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunStop(OwnedRun):
    def post(self, request, pk):
        return self.stop(self.get_run())

    @staticmethod
    def stop(run: Run) -> Response:  # also the teacher's stop in a lab (classroom/api_labs.py)
        if run.is_final:
            return Response({"detail": f"the run has already ended ({run.status})"}, status=409)
        lifecycle.do_stop(run)
        run.refresh_from_db()
        return Response(RunSerializer(run, context=serializer_context()).data)


class RunMetrics(OwnedRun):
    @extend_schema(parameters=[OpenApiParameter("after", int)], responses=dict)
    def get(self, request, pk):
        run = self.get_run()
        try:
            after = int(request.query_params.get("after", 0))
        except ValueError:
            raise ValidationError({"detail": "after must be a whole number (a seq)"}) from None
        return Response(messages_after(run.pk, after))


class RunWeights(OwnedRun):
    @extend_schema(parameters=[OpenApiParameter("format", str, enum=list(weights.FORMATS))], responses=bytes)
    def get(self, request, pk):
        run = self.get_run()
        fmt = request.query_params.get("format", "pt")
        if fmt not in weights.FORMATS:
            raise ValidationError({"detail": f"unknown format {fmt!r}; use one of {', '.join(weights.FORMATS)}"})
        if not run.has_weights or not weights.path(run.pk).exists():
            return Response({"detail": f"this run has no weights yet (it is {run.status})"}, status=409)
        response = HttpResponse(weights.export(run, fmt), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.{weights.FORMATS[fmt]}"'
        return response


class RunCode(OwnedRun):
    @extend_schema(responses=str)
    def get(self, request, pk):
        run = self.get_run()
        response = HttpResponse(weights.code(run), content_type="text/x-python")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.py"'
        return response


class RunContinue(OwnedRun):
    """A new run that carries on from this one's last checkpoint (weights, optimizer, schedule,
    random state, epoch) for `epochs` more, linked to it as its parent."""

    @extend_schema(request=dict, responses=RunSerializer)
    def post(self, request, pk):
        parent = self.get_run()
        if not parent.is_final:
            return Response({"detail": f"the run is {parent.status}; continue it once it has ended"}, status=409)
        if parent.lab_id:
            return Response({"detail": "a lab run is continued by training again from your lab design"}, status=400)
        if weights.load_checkpoint(parent.pk) is None:
            return Response({"detail": "this run has no checkpoint to continue from (it ended before "
                                       "its first epoch)"}, status=409)
        epochs = request.data.get("epochs", parent.config.get("epochs", 10)) if isinstance(request.data, dict) else None
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= settings.LAYERLAB_MAX_EPOCHS:
            raise rejected(f"epochs must be a whole number from 1 to {settings.LAYERLAB_MAX_EPOCHS}")
        try:
            check_waiting(request.user)
            check_storage(request.user)
        except LimitReached as exc:
            return over_limit(exc)
        with transaction.atomic():
            run = Run.objects.create(owner=request.user, graph=parent.graph, parent=parent, document=parent.document,
                                     dataset=parent.dataset, dataset_name=parent.dataset_name,
                                     dataset_hash=parent.dataset_hash, config=dict(parent.config, epochs=epochs),
                                     versions=versions(), result={"notes": [f"Continues run {parent.pk}."]})
            lifecycle.do_enqueue(run)
        run.refresh_from_db()
        return Response(RunSerializer(run, context=serializer_context()).data, status=status.HTTP_201_CREATED)
