from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views
from accounts.forms import ThrottledAuthenticationForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("workspaces/new/", views.workspace_new, name="workspace_new"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("w/<slug:slug>/members/", views.members, name="members"),
    path("w/<slug:slug>/members/invite/", views.invitation_new, name="invitation_new"),
    path(
        "w/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("w/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("w/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("w/<slug:slug>/leave/", views.workspace_leave, name="workspace_leave"),
]
