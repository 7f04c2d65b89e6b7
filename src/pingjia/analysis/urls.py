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
    path("models/", views.model_list, name="model_list"),
    path("models/train/", views.model_train, name="model_train"),
    path("models/<int:model_id>/activate/", views.model_activate, name="model_activate"),
    path("models/<str:kind>/built-in/", views.model_built_in, name="model_built_in"),
]
