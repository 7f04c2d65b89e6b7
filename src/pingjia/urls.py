from django.contrib import admin
from django.urls import include, path, re_path

from pingjia.accounts import urls as accounts_urls
from pingjia.analysis import urls as analysis_urls
from pingjia.api.api import api_urlpatterns, not_found
from pingjia.cases import urls as cases_urls
from pingjia.core import views as core_views
from pingjia.metrics import urls as metrics_urls
from pingjia.notifications import urls as notifications_urls
from pingjia.reviews import urls as reviews_urls

admin.site.site_header = admin.site.site_title = "Pingjia 评价"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("language/", core_views.language_switch, name="language_switch"),
    path("system/", core_views.system_status, name="system_status"),
    path("", include(accounts_urls)),
    path("", include(reviews_urls)),
    path("", include(cases_urls)),
    path("", include(analysis_urls)),
    path("", include(metrics_urls)),
    path("", include(notifications_urls)),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns(), "api"), namespace="api")),
    re_path(r"^api/(?P<path>.*)$", not_found),
]
