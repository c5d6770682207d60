"""Every /api/ answer is JSON: unknown paths, oversize bodies, CSRF failures and Django's own error
pages become {"detail": sentence} with the same status. Oversize bodies are refused from their
Content-Length, before anything reads them."""
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

API = "/api/"
UPLOADS = ("/api/datasets/",)  # multipart uploads, bounded by LAYERLAB_MAX_UPLOAD_MB
SENTENCES = {
    404: "there is no API endpoint at {path}; the endpoints are listed at /api/schema/",
    405: "{method} is not allowed on {path}",
    413: "the request body is too large",
    500: "the server failed to answer this request; it has been logged",
}


def body_limit(request) -> tuple[int, float]:
    """Bytes a request may send, and that limit in MB as the settings say it: a dataset upload up to
    LAYERLAB_MAX_UPLOAD_MB (with room for the multipart framing and the form's other fields),
    anything else up to DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if request.path in UPLOADS and request.content_type == "multipart/form-data":
        return settings.LAYERLAB_MAX_UPLOAD_MB * 2**20 + 2**16, settings.LAYERLAB_MAX_UPLOAD_MB
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20


def too_large(request) -> JsonResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"detail": "the Content-Length header is not a number"}, status=400)
    limit, mb = body_limit(request)
    if length <= limit:
        return None
    return JsonResponse({"detail": f"the request body is {length / 2**20:,.1f} MB; the limit here is {mb:g} MB"},
                        status=413)


def as_json(request, response):
    """A non-JSON error answer as {"detail": ...}, keeping its status and headers such as Allow."""
    status = response.status_code
    sentence = SENTENCES.get(status, "the request failed: {reason}").format(
        path=request.path, method=request.method, reason=HTTPStatus(status).phrase.lower()
        if status in HTTPStatus._value2member_map_ else f"status {status}")
    text = getattr(response, "content", b"")[:300].decode(errors="replace").strip()
    if status == 403 and "CSRF" in text:
        sentence = "the CSRF check failed: send the X-CSRFToken header with the csrftoken cookie, or use a token"
    replaced = JsonResponse({"detail": sentence}, status=status)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replaced[header] = response[header]
    return replaced


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API):
            return self.get_response(request)
        response = too_large(request) or self.get_response(request)
        if response.status_code >= 400 and not is_json(response):
            response = as_json(request, response)
        return response

    def process_exception(self, request, exception):
        # Django raises this for form fields, or a body sent without Content-Length, past DATA_UPLOAD_MAX_MEMORY_SIZE.
        if request.path.startswith(API) and isinstance(exception, RequestDataTooBig):
            mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
            return JsonResponse({"detail": f"the request's data (uploaded files aside) is larger than the limit of "
                                           f"{mb:g} MB"}, status=413)
        return None


def is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
