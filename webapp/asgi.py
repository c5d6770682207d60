"""HTTP through Django (static files answered in front of it by WhiteNoise's index, so one Daphne
serves everything) and websockets through Channels, authenticated by session cookie or ?token=."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from classroom.routing import websocket_urlpatterns as classroom_ws  # noqa: E402
from trainer.routing import websocket_urlpatterns  # noqa: E402
from webapp.static import StaticFiles  # noqa: E402
from webapp.wsauth import OriginChecked, TokenOrSessionAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": StaticFiles(django_app),  # static files before Django's handler; the rest through Django
        "websocket": OriginChecked(TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns + classroom_ws))),
    }
)
