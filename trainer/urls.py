from django.urls import path

from . import api, dataset_api, settings_api

urlpatterns = [
    path("datasets/", dataset_api.DatasetList.as_view(), name="dataset-list"),
    path("datasets/<str:key>/", dataset_api.DatasetDetail.as_view(), name="dataset-detail"),
    path("datasets/<str:key>/preview/", dataset_api.DatasetPreview.as_view(), name="dataset-preview"),
    path("usage/", dataset_api.Usage.as_view(), name="usage"),
    path("datasets/<str:key>/fetch/", dataset_api.DatasetFetch.as_view(), name="dataset-fetch"),
    path("training-settings/", settings_api.TrainingSettingsView.as_view(), name="training-settings"),
    path("runs/", api.RunList.as_view(), name="run-list"),
    path("runs/check/", api.RunCheck.as_view(), name="run-check"),
    path("runs/<int:pk>/", api.RunDetail.as_view(), name="run-detail"),
    path("runs/<int:pk>/stop/", api.RunStop.as_view(), name="run-stop"),
    path("runs/<int:pk>/metrics/", api.RunMetrics.as_view(), name="run-metrics"),
    path("runs/<int:pk>/weights/", api.RunWeights.as_view(), name="run-weights"),
    path("runs/<int:pk>/code/", api.RunCode.as_view(), name="run-code"),
    path("runs/<int:pk>/continue/", api.RunContinue.as_view(), name="run-continue"),
]
