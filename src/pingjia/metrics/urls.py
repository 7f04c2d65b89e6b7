from django.urls import path

from pingjia.metrics import views

urlpatterns = [
    path("metrics/", views.kpi_month, name="kpi_month"),
]
