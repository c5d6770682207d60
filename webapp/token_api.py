"""POST /api/auth/token/: DRF's token view with the API's parsers and django-axes' lockout.

axes marks a locked-out attempt on the request it was handed (DRF's, which its middleware never
sees), so the view answers the 429 itself; a success counts as a login, which clears the failures.
"""
from django.contrib.auth.signals import user_logged_in
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

LOCKED = "too many failed logins for this username from your address: wait a while and try again"


class TokenView(ObtainAuthToken):
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": LOCKED}, status=429)
            raise
        user = serializer.validated_data["user"]
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
