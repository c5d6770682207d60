"""Runs and datasets: a REST shell around the trainer's core (engine, uploads, stream)."""
import platform

from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.api import limits
from builder.models import Graph

from webapp.errors import flatten, rejected

from . import weights
from .engine.job import JobError, check_job
from .models import Run
from .dataset_store import resolve
from .serializers import RunRequest, RunSerializer
from .stream import check_lost, do_finish, messages_after


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


def checked_request(request) -> tuple[dict, Graph | None, dict, dict, dict]:
    body = RunRequest(data=request.data)
    body.is_valid(raise_exception=True)
    options = dict(body.validated_data)
    document, graph = graph_document(options.pop("graph"), request.user)
    arrays, dataset = resolve(options.pop("dataset"), request.user)
    try:
        config, notes = check_job(document, arrays, options, limits())
    except JobError as exc:
        raise rejected(str(exc), problems=exc.problems) from None
    return document, graph, dataset, options, {"notes": notes}


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


class RunList(generics.ListCreateAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        return Run.objects.filter(owner=self.request.user)

    @extend_schema(request=dict, responses=RunSerializer)
    def post(self, request):
        from .tasks import train_run

        document, graph, dataset, options, extra = checked_request(request)
        run = Run.objects.create(owner=request.user, graph=graph, document=document, dataset=str(dataset["id"]),
                                 dataset_name=dataset["name"], dataset_hash=dataset["hash"], config=options,
                                 versions=versions(), result=extra)
        transaction.on_commit(lambda: train_run.delay(run.pk))
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class OwnedRun(generics.GenericAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        return Run.objects.filter(owner=self.request.user)

    def get_run(self) -> Run:
        run = self.get_object()
        if check_lost(run):
            run.refresh_from_db()
        return run


class RunDetail(OwnedRun):
    def get(self, request, pk):
        return Response(RunSerializer(self.get_run()).data)


class RunStop(OwnedRun):
    def post(self, request, pk):
        run = self.get_run()
        if run.is_final:
            return Response({"detail": f"the run has already ended ({run.status})"}, status=409)
        Run.objects.filter(pk=run.pk).update(stop_requested=True)
        if run.status == Run.QUEUED:
            do_finish(run.pk, Run.CANCELLED, dict(run.result or {}, error=None, stopped="before it started"))
        run.refresh_from_db()
        return Response(RunSerializer(run).data)


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
