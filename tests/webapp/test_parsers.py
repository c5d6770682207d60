"""The JSON depth bound lives in one parser, and every API view that reads JSON uses it."""
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser

from webapp.parsers import BoundedJSONParser, depth


def test_it_measures_nesting_without_recursion():
    assert depth(3) == 0 and depth([]) == 1 and depth({"a": [1, {"b": []}]}) == 4
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert depth(deep) == 100_001


def views(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from views(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def test_it_bounds_every_api_view_that_reads_json():
    checked = 0
    for route, callback in views():
        cls = getattr(callback, "cls", None)
        if not route.startswith("api/") or cls is None:
            continue
        parsers = getattr(callback, "initkwargs", {}).get("parser_classes", cls.parser_classes)
        json_parsers = [p for p in parsers if issubclass(p, JSONParser)]
        assert all(issubclass(p, BoundedJSONParser) for p in json_parsers), (route, json_parsers)
        checked += bool(json_parsers)
    assert checked >= 8  # summary, graphs, runs, check, token, ...
