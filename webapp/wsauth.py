"""Websocket authentication: the session cookie as the pages use, or ?token=T as scripts do."""
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else AnonymousUser()


class _TokenMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = parse_qs(scope.get("query_string", b"").decode()).get("token")
        if token:
            scope = dict(scope, user=await user_for_token(token[-1]))
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner):
    # The session stack runs first; a token, when given, takes precedence.
    return AuthMiddlewareStack(_TokenMiddleware(inner))


class BrowserOriginValidator(OriginValidator):
    """Browsers send Origin: it must be one of ALLOWED_HOSTS (no cross-site websocket hijacking).
    Scripts send none and authenticate with ?token=, which a foreign page cannot know."""

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or self.validate_origin(parsed_origin)


def OriginChecked(application):
    return BrowserOriginValidator(application, settings.ALLOWED_HOSTS)
