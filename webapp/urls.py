from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import pages
from .token_api import TokenView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", pages.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("builder.urls")),
    path("api/", include("trainer.urls")),
    path("api/", include("classroom.urls")),
    path("", include("webapp.page_urls")),
]

handler404 = "webapp.pages.not_found"
