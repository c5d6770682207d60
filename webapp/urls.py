from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings

from . import pages

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", pages.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    # DRF's token view names its own parsers; it gets the API's (the bounded JSON parser).
    path("api/auth/token/", ObtainAuthToken.as_view(parser_classes=api_settings.DEFAULT_PARSER_CLASSES),
         name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("builder.urls")),
    path("api/", include("trainer.urls")),
    path("", include("webapp.page_urls")),
]

handler404 = "webapp.pages.not_found"
