"""The server's limits on designs and runs, from settings (the adapter side of `builder.document.Limits`)."""
from django.conf import settings

from .document import Limits


def limits() -> Limits:
    return Limits(max_nodes=settings.LAYERLAB_MAX_NODES, max_params=settings.LAYERLAB_MAX_PARAMS,
                  max_epochs=settings.LAYERLAB_MAX_EPOCHS)
