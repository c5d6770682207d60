"""The API's JSON parser: DRF's, with the nesting of a body bounded (LAYERLAB_MAX_JSON_DEPTH).

Absurdly nested JSON would otherwise reach recursive code (validation, serializers, json.dumps)
and end in a RecursionError; here it is a 400 before any view sees it.
"""
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            todo.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.LAYERLAB_MAX_JSON_DEPTH
        too_deep = ParseError(f"the JSON body is nested deeper than {limit} levels")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # deeper than the json module itself will go
            raise too_deep from None
        if depth(data) > limit:
            raise too_deep
        return data
