"""Every API error is JSON {"detail": TEXT} with a 4xx; nothing a client sends gives a 500."""
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler


def rejected(detail: str, **extra) -> ValidationError:
    """A 400 whose extra fields keep their JSON types (DRF would turn them into strings)."""
    exc = ValidationError(detail)
    exc.detail = {"detail": detail, **extra}
    return exc


def flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {flatten(v)}" if k != "non_field_errors" else flatten(v) for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(flatten(d) for d in detail)
    return str(detail)


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is not None and not (isinstance(response.data, dict) and set(response.data) <= {"detail", "errors", "problems", "valid"}):
        response.data = {"detail": flatten(response.data), "fields": response.data}
    return response
