"""GET/POST /api/datasets/ and the preview: built-ins plus the user's own uploads."""
import uuid
from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .datasets import builtin_list, describe_upload, resolve
from .models import Dataset
from .uploads import DatasetError, UploadOptions, content_hash, parse_upload, preview, save_arrays

OPTION_FIELDS = {"label_column": str, "text_column": str, "seq_len": int, "vocab_size": int,
                 "color": str, "test_fraction": float, "seed": int}


def upload_options(data) -> UploadOptions:
    options = {}
    for name, cast in OPTION_FIELDS.items():
        if data.get(name) not in (None, ""):
            try:
                options[name] = cast(data[name])
            except ValueError:
                raise ValidationError({"detail": f"{name} must be a {cast.__name__}, not {data[name]!r}"}) from None
    if data.get("image_size"):
        try:
            side = [int(s) for s in str(data["image_size"]).lower().replace("x", ",").split(",")]
            options["image_size"] = (side[0], side[-1])
        except ValueError:
            raise ValidationError({"detail": "image_size must look like 28 or 28x28"}) from None
    return UploadOptions(**options, max_values=settings.LAYERLAB_MAX_DATASET_VALUES)


class DatasetList(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=dict, summary="Built-in datasets and mine")
    def get(self, request):
        mine = Dataset.objects.filter(owner=request.user)
        return Response(builtin_list() + [describe_upload(ds) for ds in mine])

    @extend_schema(request=dict, responses=dict, summary="Upload NPZ, CSV or a ZIP of image folders")
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"detail": "attach the dataset as the multipart field 'file'"})
        name = (request.data.get("name") or Path(upload.name).stem).strip()[:100]
        limit = settings.LAYERLAB_MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise ValidationError({"detail": f"the file is {upload.size / 2**20:,.1f} MB; the limit is "
                                             f"{settings.LAYERLAB_MAX_UPLOAD_MB} MB (LAYERLAB_MAX_UPLOAD_MB)"})
        try:
            arrays = parse_upload(upload.name, upload, upload_options(request.data), max_bytes=limit)
        except DatasetError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        target = Path(settings.MEDIA_ROOT) / "datasets" / f"{uuid.uuid4().hex}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        save_arrays(arrays, target)
        try:
            ds = Dataset.objects.create(
                owner=request.user, name=name or "dataset", kind=arrays.meta.get("kind", "features"),
                input_shape=list(arrays.input_shape), dtype=arrays.dtype, num_classes=arrays.num_classes,
                classes=list(arrays.classes), train_size=arrays.train_size, test_size=arrays.test_size,
                content_hash=content_hash(arrays), path=str(target))
        except Exception:
            target.unlink(missing_ok=True)  # nothing half-made stays behind
            raise
        return Response(describe_upload(ds), status=201)


class DatasetPreview(APIView):
    @extend_schema(responses=dict)
    def get(self, request, key):
        arrays, info = resolve(key, request.user)
        return Response(dict(preview(arrays), dataset=info))


class DatasetDetail(APIView):
    @extend_schema(responses={204: None}, summary="Delete one of my uploads")
    def delete(self, request, key):
        ds = Dataset.objects.filter(pk=int(key) if key.isdigit() else -1, owner=request.user).first()
        if ds is None:
            return Response({"detail": f"no dataset {key!r} of yours"}, status=404)
        Path(ds.path).unlink(missing_ok=True)
        ds.delete()
        return Response(status=204)
