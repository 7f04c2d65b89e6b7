from django.urls import path

from pingjia.analysis import views

urlpatterns = [
    path("reviews/<int:review_id>/labels/", views.review_labels, name="review_labels"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/<int:issue_id>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:issue_id>/rename/", views.issue_rename, name="issue_rename"),
    path("issues/<int:issue_id>/dismiss/", views.issue_dismiss, name="issue_dismiss"),
    path("issues/<int:issue_id>/merge/", views.issue_merge, name="issue_merge"),
    path("issues/<int:issue_id>/split/", views.issue_split, name="issue_split"),
]
