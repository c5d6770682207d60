from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

from . import pages

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", pages.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("builder.urls")),
    path("api/", include("trainer.urls")),
    path("api/", include("classroom.urls")),
    path("", include("webapp.page_urls")),
]

handler404 = "webapp.pages.not_found"
