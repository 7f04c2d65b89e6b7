from django.urls import path

from pingjia.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("org/departments/", views.department_list, name="department_list"),
    path("org/departments/<int:department_id>/", views.department_detail,
         name="department_detail"),
    path("org/people/<int:user_id>/phone/", views.phone_reveal, name="phone_reveal"),
    path("org/stores/", views.store_list, name="store_list"),
    path("audit/", views.audit_list, name="audit_list"),
]
