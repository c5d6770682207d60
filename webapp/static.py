"""Static files as production sites serve them: WhiteNoise, hashed names, gzip and brotli,
far-future immutable caching; Daphne serves them with everything else.

`StaticFiles` answers them in front of Django's ASGI handler (webapp/asgi.py): no request thread,
no request signals, no database connection, as a file server would. Its files and headers are
WhiteNoise's, configured from Django's settings (WHITENOISE_*, STATIC_ROOT, STATIC_URL)."""
import asyncio

from asgiref.sync import sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

CHUNK = 256 * 1024


class StaticStorage(CompressedManifestStaticFilesStorage):
    # The pages are native ES modules: `import ... from "./util.js"` must name util.js's hashed
    # file too, or a new run.js could meet a cached old util.js.
    support_js_module_import_aggregation = True


class StaticFiles:
    """ASGI app: GET and HEAD under STATIC_URL for a file WhiteNoise knows are answered here, on the
    event loop (file reads on the loop's executor); everything else goes on to `app` (Django)."""

    def __init__(self, app):
        self.app = app
        # WhiteNoise's middleware, used for its configuration and file index only: it reads the settings.
        self.whitenoise = WhiteNoiseMiddleware(get_response=lambda request: None)
        self.prefix = self.whitenoise.static_prefix

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")[len(scope.get("root_path", "")):] if scope["type"] == "http" else ""
        static_file = None
        if path.startswith(self.prefix) and scope["method"] in ("GET", "HEAD"):
            if self.whitenoise.autorefresh:  # development: files may appear while it runs
                static_file = await sync_to_async(self.whitenoise.find_file, thread_sensitive=False)(path)
            else:
                static_file = self.whitenoise.files.get(path)
        if static_file is None:
            return await self.app(scope, receive, send)
        meta = {"HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
                for name, value in scope["headers"]}
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(None, static_file.get_response, scope["method"], meta)
        await send({"type": "http.response.start", "status": int(response.status),
                    "headers": [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers]})
        file = response.file
        if file is None:  # a 304, a HEAD
            await send({"type": "http.response.body", "body": b""})
            return
        try:
            chunk = await loop.run_in_executor(None, file.read, CHUNK)
            while True:
                following = await loop.run_in_executor(None, file.read, CHUNK) if len(chunk) == CHUNK else b""
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(following)})
                if not following:
                    break
                chunk = following
        finally:
            file.close()
