from django.urls import path

from . import api

urlpatterns = [
    path("graphs/summary/", api.SummaryView.as_view(), name="graph-summary"),
    path("graphs/import/", api.ImportView.as_view(), name="graph-import"),
    path("graphs/", api.GraphList.as_view(), name="graph-list"),
    path("graphs/<int:pk>/", api.GraphDetail.as_view(), name="graph-detail"),
    path("graphs/<int:pk>/export/", api.GraphExport.as_view(), name="graph-export"),
    path("blocks/", api.BlocksView.as_view(), name="blocks"),
    path("templates/", api.TemplatesView.as_view(), name="templates"),
]
