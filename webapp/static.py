"""Static files as production sites serve them: WhiteNoise, hashed names, gzip and brotli,
far-future immutable caching; Daphne serves them with everything else.

Under ASGI (Daphne, `make run`, the Docker image) `StaticFiles` answers them in front of Django's
handler: no request thread, no request signals, no database connection, as a file server would.
`StaticMiddleware` serves them where requests reach Django another way (the test client, WSGI).
Both take their files and headers from one WhiteNoise configuration: Django's settings."""
import asyncio

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

CHUNK = 256 * 1024


class StaticStorage(CompressedManifestStaticFilesStorage):
    # The pages are native ES modules: `import ... from "./util.js"` must name util.js's hashed
    # file too, or a new run.js could meet a cached old util.js.
    support_js_module_import_aggregation = True


async def _read(file):
    if file is None:  # a 304 or a HEAD: headers only
        return
    try:  # file reads share the loop's thread pool: no thread of their own per request
        while chunk := await sync_to_async(file.read, thread_sensitive=False)(CHUNK):
            yield chunk
    finally:
        await sync_to_async(file.close, thread_sensitive=False)()


class StaticMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise's middleware, usable in both modes: under ASGI it answers without leaving the
    event loop for requests that are not static, and streams files through an async iterator
    (Django warns about, and buffers, a sync iterator served over ASGI)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, **kwargs):
        super().__init__(get_response, **kwargs)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if not self.is_async:
            return super().__call__(request)
        return self._acall(request)

    async def _acall(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        response = await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        response.streaming_content = _read(getattr(response, "file_to_stream", None))
        return response


class StaticFiles:
    """ASGI app: GET and HEAD under STATIC_URL for a file WhiteNoise knows are answered here, on the
    event loop (file reads on the loop's executor); everything else goes on to `app` (Django)."""

    def __init__(self, app):
        self.app = app
        self.whitenoise = WhiteNoiseMiddleware(get_response=lambda request: None)  # configured from settings
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
