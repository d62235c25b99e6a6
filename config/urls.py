from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.views import home
from config.health import healthz

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that are not HTML (feeds, exports).
    path("favicon.ico", login_not_required(lambda request: redirect(static("favicon.svg")))),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("papers.urls")),
]
