"""GET /api/training-settings/: the declared training settings, for the Train dialog (like /api/blocks/)."""
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from .engine.settings import catalogue


class TrainingSettingsView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=dict, summary="The training settings: name, kind, default, limits or choices, help")
    def get(self, request):
        return Response(catalogue(settings.LAYERLAB_MAX_EPOCHS))
