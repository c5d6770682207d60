"""Websocket authentication: the session cookie as the pages use, or ?token=T as scripts do."""
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host


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


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def host_and_port(netloc: str, scheme: str) -> tuple[str, int | None]:
    """"Example.org:8000" -> ("example.org", 8000), "[::1]" -> ("[::1]", 80); no port means the scheme's default."""
    host, port = split_domain_port(netloc)
    if not host or port and not port.isdigit():
        return "", None
    return host, int(port) if port else DEFAULT_PORTS.get(scheme)


def origin_allowed(origin: str, host: str) -> bool:
    """A browser's Origin must name the very host and port the page asked for (the Host header),
    and that host must be one of ALLOWED_HOSTS; or be listed in CSRF_TRUSTED_ORIGINS."""
    if origin.rstrip("/") in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parsed = urlsplit(origin)
    if parsed.scheme not in ("http", "https"):
        return False  # "null" (sandboxed frames, files) and anything odd
    want = host_and_port(parsed.netloc, parsed.scheme)
    got = host_and_port(host, parsed.scheme)  # Host omits the port only when it is the scheme's default
    return want[1] is not None and want == got and validate_host(want[0], settings.ALLOWED_HOSTS)


class BrowserOriginValidator:
    """Browsers send Origin: it must match the handshake's Host, port included (no cross-site
    websocket hijacking from another port of the same machine). Scripts send none and authenticate
    with ?token=, which a foreign page cannot know."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = {k.lower(): v.decode("latin1") for k, v in scope.get("headers", [])}
            origin = headers.get(b"origin")
            if origin is not None and not origin_allowed(origin, headers.get(b"host", "")):
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def OriginChecked(application):
    return BrowserOriginValidator(application)
