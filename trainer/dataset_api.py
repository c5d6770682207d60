"""GET/POST /api/datasets/ and the preview: built-ins plus the user's own uploads."""
import uuid
from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import dataset_store as store
from .dataset_store import builtin_list, describe_upload, resolve
from .limits import LimitReached, check_storage, usage
from .models import Dataset
from .datasets import BUILTINS, DatasetError, UploadOptions, content_hash, parse_upload, preview, save_arrays

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

    @extend_schema(responses=dict, summary="Built-in datasets and mine", operation_id="datasets_list")
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
        size = target.stat().st_size
        try:
            check_storage(request.user, adding=size)
        except LimitReached as exc:
            target.unlink(missing_ok=True)
            return Response({"detail": str(exc)}, status=exc.status)
        try:
            ds = Dataset.objects.create(size_bytes=size,
                owner=request.user, name=name or "dataset", kind=arrays.meta.get("kind", "features"),
                input_shape=list(arrays.input_shape), dtype=arrays.dtype, num_classes=arrays.num_classes,
                classes=list(arrays.classes), train_size=arrays.train_size, test_size=arrays.test_size,
                content_hash=content_hash(arrays), path=str(target))
        except Exception:
            target.unlink(missing_ok=True)  # nothing half-made stays behind
            raise
        return Response(describe_upload(ds), status=201)


class Usage(APIView):
    @extend_schema(responses=dict, summary="Bytes I store (uploads, run weights) against my quota")
    def get(self, request):
        return Response(usage(request.user))


class DatasetPreview(APIView):
    @extend_schema(responses=dict)
    def get(self, request, key):
        arrays, info = resolve(key, request.user, fetch=False)  # never a download in a web request: 409
        return Response(dict(preview(arrays), dataset=info))


def downloadable(key: str):
    """None for a built-in that can be fetched, else the error Response."""
    if key not in BUILTINS:
        return Response({"detail": f"no built-in dataset {key!r} to fetch; downloadable ones are "
                                   f"{', '.join(k for k, b in BUILTINS.items() if b.sources)}"}, status=404)
    if not BUILTINS[key].sources:
        return Response({"detail": f"{key} is generated on this server, not downloaded: it is always present."},
                        status=400)
    return None


class DatasetFetch(APIView):
    """A downloadable built-in's download: GET how far it is, POST to start it on a worker (once)."""

    @extend_schema(responses=dict, summary="Download progress of a built-in dataset")
    def get(self, request, key):
        return downloadable(key) or Response(store.fetch_status(key))

    @extend_schema(request=None, responses=dict, summary="Start downloading a built-in dataset on a worker")
    def post(self, request, key):
        from .fetch_tasks import fetch_dataset

        refused = downloadable(key)
        if refused:
            return refused
        status = store.fetch_status(key)
        if status["present"] or store.is_busy(key):
            return Response(status, status=200 if status["present"] else 202)
        store.mark_queued(key)
        try:
            fetch_dataset.delay(key)
        except Exception as exc:  # the broker is down: say so instead of waiting forever
            store.mark_failed(key, f"The task queue could not be reached ({exc}): try again later.")
            return Response({"detail": f"The download could not be queued: the task queue is unreachable "
                                       f"({type(exc).__name__}). Try again later."}, status=503)
        return Response(store.fetch_status(key), status=202)


class DatasetDetail(APIView):
    @extend_schema(responses=dict, summary="One dataset: a built-in (with its download status) or one of mine")
    def get(self, request, key):
        if key in BUILTINS:
            return Response(store.describe_builtin(key))
        ds = Dataset.objects.filter(pk=int(key) if key.isdigit() else -1, owner=request.user).first()
        if ds is None:
            return Response({"detail": f"no dataset {key!r}; use a built-in or one of your uploads"}, status=404)
        return Response(describe_upload(ds))

    @extend_schema(responses={204: None}, summary="Delete one of my uploads")
    def delete(self, request, key):
        ds = Dataset.objects.filter(pk=int(key) if key.isdigit() else -1, owner=request.user).first()
        if ds is None:
            return Response({"detail": f"no dataset {key!r} of yours"}, status=404)
        Path(ds.path).unlink(missing_ok=True)
        ds.delete()
        return Response(status=204)
