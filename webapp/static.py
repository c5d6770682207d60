"""Static files as production sites serve them: WhiteNoise, hashed names, gzip and brotli,
far-future immutable caching; in the Django app, so Daphne serves them with everything else."""
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

CHUNK = 64 * 1024


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
