"""HTTP through Django (static files included, served by WhiteNoise's middleware, so one Daphne
serves everything) and websockets through Channels, authenticated by session cookie or ?token=."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from classroom.routing import websocket_urlpatterns as classroom_ws  # noqa: E402
from trainer.routing import websocket_urlpatterns  # noqa: E402
from webapp.wsauth import OriginChecked, TokenOrSessionAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": OriginChecked(TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns + classroom_ws))),
    }
)
