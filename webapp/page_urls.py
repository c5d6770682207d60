from django.urls import include, path

from . import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("editor/", pages.editor, name="editor"),
    path("editor/<int:graph_id>/", pages.editor, name="editor-graph"),
    path("runs/compare/", pages.compare, name="compare"),
    path("runs/<int:run_id>/", pages.run_page, name="run"),
    path("datasets/", pages.datasets, name="datasets"),
    path("", include("classroom.page_urls")),
]
