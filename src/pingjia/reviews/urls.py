from django.urls import path

from pingjia.reviews import views

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/export.xlsx", views.review_export, name="review_export"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/register/", views.review_register, name="review_register"),
    path("org/stores/<int:store_id>/qr/", views.store_qr, name="store_qr"),
    path("r/<str:token>/", views.public_review, name="public_review"),
    path("r/<str:token>/thanks/", views.public_review_thanks, name="public_review_thanks"),
    path("i/<str:token>/", views.public_invitation, name="public_invitation"),
    path("reviews/callbacks/", views.callback_list, name="callback_list"),
    path("reviews/invitations/import/", views.invitation_import, name="invitation_import"),
    path("reviews/invitations/<int:invitation_id>/callback/", views.callback_record,
         name="callback_record"),
    path("reviews/customers/<int:customer_id>/phone/", views.customer_phone_reveal,
         name="customer_phone_reveal"),
    path("reviews/import/", views.import_upload, name="import_upload"),
    path("reviews/imports/<int:run_id>/", views.import_detail, name="import_detail"),
    path("reviews/imports/<int:run_id>/rejected.csv", views.import_rejected_rows,
         name="import_rejected_rows"),
]
