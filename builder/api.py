"""The graph part of the API: a REST shell around builder's core (summary, catalogue, export)."""
import re

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .blocks import catalogue
from .compile import compile_graph
from .document import Limits, check_document
from .errors import GraphInvalid
from .export import ExportTooLarge, check_export_memory, export_onnx, export_pytorch, export_torchscript
from .models import Graph
from .serializers import GraphSerializer
from .summary import summarize
from .templates import starter_designs

EXPORTS = {
    "pytorch": ("text/x-python", "py"),
    "onnx": ("application/octet-stream", "onnx"),
    "torchscript": ("application/octet-stream", "pt"),
    "json": ("application/json", "json"),
}


def limits() -> Limits:
    return Limits(max_nodes=settings.LAYERLAB_MAX_NODES, max_params=settings.LAYERLAB_MAX_PARAMS)


def summary_of(document) -> dict:
    return summarize(document, limits())


def filename_for(document: dict, ext: str) -> str:
    name = document.get("name") if isinstance(document.get("name"), str) else "design"
    return (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "design") + "." + ext


def check_exportable(document: dict) -> None:
    """A 400 before an ONNX or TorchScript export that would need more than LAYERLAB_MAX_EXPORT_MB."""
    try:
        check_export_memory(check_document(document, limits()), settings.LAYERLAB_MAX_EXPORT_MB)
    except ExportTooLarge as exc:
        raise ValidationError({"detail": f"{exc} (LAYERLAB_MAX_EXPORT_MB)"}) from None


def export_response(document: dict, to: str, module=None) -> HttpResponse:
    """The design (with `module`'s weights when given, else fresh ones) as a download."""
    import json

    import torch

    if to not in EXPORTS:
        raise ValidationError({"detail": f"unknown export format {to!r}; use one of {', '.join(EXPORTS)}"})
    content_type, ext = EXPORTS[to]
    if to == "json":
        body = json.dumps(document, indent=2).encode()
    elif to == "pytorch":
        body = export_pytorch(document).encode()
    else:
        check_exportable(document)
        if module is None:
            torch.manual_seed(0)
            module = compile_graph(document, limits())
        body = (export_onnx if to == "onnx" else export_torchscript)(module, document)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename_for(document, ext)}"'
    return response


class SummaryView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=dict, responses=dict, summary="Check a graph document: shapes, parameters, FLOPs, errors")
    def post(self, request):
        return Response(summary_of(request.data))


class BlocksView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=dict, summary="The block catalogue: types, parameters, defaults, limits, help")
    def get(self, request):
        return Response(catalogue())


class TemplatesView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=dict, summary="Starter designs")
    def get(self, request):
        return Response(starter_designs())


class OwnedGraphs:
    serializer_class = GraphSerializer

    def get_queryset(self):
        return Graph.objects.filter(owner=self.request.user)


class GraphList(OwnedGraphs, generics.ListCreateAPIView):
    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class GraphDetail(OwnedGraphs, generics.RetrieveUpdateDestroyAPIView):
    pass


class GraphExport(OwnedGraphs, generics.GenericAPIView):
    @extend_schema(parameters=[OpenApiParameter("to", str, enum=list(EXPORTS))], responses=bytes)
    def get(self, request, pk):
        graph = self.get_object()
        try:
            return export_response(graph.document, request.query_params.get("to", "json"))
        except GraphInvalid as exc:
            return Response({"detail": "the design is not valid yet; fix its errors first",
                             "errors": [e.as_dict() for e in exc.errors]}, status=400)
