"""Lists come in pages, and still as plain JSON arrays (api.md's shape): `?page=N` (from 1) and
`?page_size=N` (at most LAYERLAB_PAGE_SIZE) choose the page; `X-Total-Count` and an RFC 8288
`Link` header (rel="next"/"prev") tell a client how to get the rest."""
from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class HeaderPagination(PageNumberPagination):
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        self.page_size = self.max_page_size = settings.LAYERLAB_PAGE_SIZE
        return super().get_page_size(request)

    def get_paginated_response(self, data):
        links = [f'<{url}>; rel="{rel}"' for url, rel in ((self.get_next_link(), "next"),
                                                           (self.get_previous_link(), "prev")) if url]
        headers = {"X-Total-Count": str(self.page.paginator.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema
