from django.urls import path

from pingjia.cases import views

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/assign/", views.case_bulk_assign, name="case_bulk_assign"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/<str:action>/", views.case_action, name="case_action"),
    path("cases/<int:case_id>/customer/phone/", views.case_customer_phone,
         name="case_customer_phone"),
    path("c/<str:token>/", views.case_follow, name="case_follow"),
    path("reviews/<int:review_id>/case/", views.case_open_from_review,
         name="case_open_from_review"),
]
