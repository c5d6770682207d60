"""The graph part of the API: a REST shell around builder's core (summary, catalogue, export)."""
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import initial_weights
from .blocks import catalogue
from .compile import compile_graph
from .config import limits
from .document import check_document
from .errors import GraphInvalid
from .export import BINARY_EXPORTS, ExportTooLarge, check_export_memory, export_pytorch
from .importers import ImportLimits, ImportRefused, import_file
from .models import Graph
from .serializers import GraphSerializer
from .summary import summarize
from .templates import starter_designs

EXPORTS = {
    "pytorch": ("text/x-python", "py"),
    "onnx": ("application/octet-stream", "onnx"),
    "torchscript": ("application/octet-stream", "pt"),
    "pt2": ("application/octet-stream", "pt2"),
    "json": ("application/json", "json"),
}


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
        body = BINARY_EXPORTS[to](module, document)
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


def starting_module(graph):
    """The design with its imported starting weights, or None (fresh weights) when it has none or they no longer fit."""
    state = initial_weights.load(graph.pk)
    if state is None:
        return None
    try:
        module = compile_graph(graph.document, limits())
        module.load_state_dict(state, strict=True)
    except (GraphInvalid, RuntimeError):
        return None  # edited since the import: its tensors changed shape or name
    return module.eval()


class ImportView(APIView):
    permission_classes = [permissions.AllowAny]
    parser_classes = [MultiPartParser, FormParser]  # a JSON body is read raw, as the file it is

    @extend_schema(request=dict, responses=dict,
                   summary="Import a Keras model JSON, an ONNX file or a LayerLab design: a design, a report, a weights token")
    def post(self, request):
        data, name = self.read(request)
        try:
            imported = import_file(data, name, import_limits())
        except ImportRefused as exc:
            return Response({"detail": str(exc)}, status=400)
        token = None
        if imported.weights is not None and request.user.is_authenticated:
            token = initial_weights.park(request.user.pk, imported.weights)
        elif imported.weights is not None:
            imported.report["notes"].append("log in to keep the imported weights: without an account only the design is kept")
        return Response({"document": imported.document, "report": imported.report, "weights": token})

    def read(self, request) -> tuple[bytes, str]:
        limit = settings.LAYERLAB_MAX_IMPORT_MB * 1024 * 1024
        if request.content_type.startswith("application/json"):
            try:
                return request.body, "body.json"
            except RequestDataTooBig:
                raise ValidationError({"detail": f"the JSON body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes; "
                                                 "send the file as multipart field 'file'"}) from None
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"detail": "attach the model as the multipart field 'file', or send its JSON as the body"})
        if upload.size > limit:
            raise ValidationError({"detail": f"the file is {upload.size / 2**20:,.1f} MB; the limit is "
                                             f"{settings.LAYERLAB_MAX_IMPORT_MB} MB (LAYERLAB_MAX_IMPORT_MB)"})
        return upload.read(), upload.name or ""


def import_limits() -> ImportLimits:
    return ImportLimits(max_bytes=settings.LAYERLAB_MAX_IMPORT_MB * 1024 * 1024, graph=limits())


class OwnedGraphs:
    serializer_class = GraphSerializer

    def get_queryset(self):
        return Graph.objects.filter(owner=self.request.user)


class GraphList(OwnedGraphs, generics.ListCreateAPIView):
    def perform_create(self, serializer):
        token = serializer.validated_data.pop("weights", None)
        with transaction.atomic():
            graph = serializer.save(owner=self.request.user)
            if token:
                initial_weights.claim(self.request.user.pk, token, graph.pk)


class GraphDetail(OwnedGraphs, generics.RetrieveUpdateDestroyAPIView):
    def perform_update(self, serializer):
        serializer.validated_data.pop("weights", None)  # starting weights come with a new design only
        serializer.save()

    def perform_destroy(self, graph):
        graph_id = graph.pk
        graph.delete()
        initial_weights.forget(graph_id)


class GraphExport(OwnedGraphs, generics.GenericAPIView):
    @extend_schema(parameters=[OpenApiParameter("to", str, enum=list(EXPORTS))], responses=bytes)
    def get(self, request, pk):
        graph = self.get_object()
        try:
            return export_response(graph.document, request.query_params.get("to", "json"), starting_module(graph))
        except GraphInvalid as exc:
            return Response({"detail": "the design is not valid yet; fix its errors first",
                             "errors": [e.as_dict() for e in exc.errors]}, status=400)
