"""Roles: who does what in the loop (docs/product.md, "Who uses it").

A role is a Django group named by the role's code; the group's permissions are what the role may
do, and an administrator may add to them. A person holds a role *in a department* (a Membership),
and may hold several. Organisation-wide roles act on every department's objects; the others act
only on the objects of the departments where they are held (`pingjia.accounts.access`).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REVIEW_MANAGER = "review_manager", _("Review manager")
    DEPARTMENT_HEAD = "dept_head", _("Department head")
    HANDLER = "handler", _("Handler")
    SERVICE_AGENT = "service_agent", _("Customer-service agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    EXECUTIVE = "executive", _("Executive")
    ADMINISTRATOR = "admin", _("Administrator")


# Customer-service agents answer and call back customers of every store.
ORGANISATION_WIDE = frozenset(
    {Role.REVIEW_MANAGER, Role.SERVICE_AGENT, Role.SUPERVISOR, Role.EXECUTIVE,
     Role.ADMINISTRATOR}
)

_VIEW_ORG = ["accounts.view_department", "accounts.view_store", "accounts.view_user",
             "reviews.view_review", "reviews.view_channel"]
_IMPORT = ["reviews.add_importrun", "reviews.view_importrun", "reviews.view_customer",
           "reviews.add_review", "reviews.add_invitation", "reviews.view_invitation",
           "reviews.add_callback"]
_VIEW_CASES = ["cases.view_case", "analysis.view_category"]
_CORRECT = "analysis.add_labelcorrection"
_MODELS = ["analysis.view_textmodel", "analysis.change_textmodel"]
# Merging, splitting, renaming and dismissing recurring issues: organisation-wide decisions.
_ISSUES = "analysis.change_recurringissue"
_MANAGE_ORG = [
    f"accounts.{verb}_{model}"
    for model in ("department", "store", "user", "membership", "organisation")
    for verb in ("add", "change", "delete", "view")
] + ["auth.view_group", "auth.change_group"]

# The permissions each role's group starts with. Adding to a group in the admin sticks; a
# permission named here and removed in the admin comes back at the next migrate.
DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    Role.REVIEW_MANAGER: [*_VIEW_ORG, *_IMPORT, *_VIEW_CASES, "accounts.view_personal_data",
                          "accounts.add_apitoken", "cases.add_case", "cases.assign_case",
                          "cases.audit_case", "cases.cancel_case", "cases.comment_case",
                          _CORRECT, *_MODELS, _ISSUES],
    Role.DEPARTMENT_HEAD: [*_VIEW_ORG, *_VIEW_CASES, "accounts.view_personal_data",
                           "cases.accept_case", "cases.handle_case", "cases.comment_case",
                           _CORRECT],
    Role.HANDLER: [*_VIEW_ORG, *_VIEW_CASES, "accounts.view_personal_data",
                   "cases.handle_case", "cases.comment_case", _CORRECT],
    Role.SERVICE_AGENT: [*_VIEW_ORG, *_IMPORT, *_VIEW_CASES, "accounts.view_personal_data",
                         "cases.add_case", "cases.comment_case", _CORRECT],
    Role.SUPERVISOR: [*_VIEW_ORG, *_VIEW_CASES, "accounts.view_auditentry",
                      "cases.inspect_case"],
    Role.EXECUTIVE: [*_VIEW_ORG, *_VIEW_CASES],
    Role.ADMINISTRATOR: [
        *_MANAGE_ORG,
        "accounts.view_auditentry",
        "accounts.add_apitoken",
        "accounts.manage_apitokens",
        "accounts.view_apitoken",
        "accounts.change_apitoken",
        "core.view_heartbeat",
        *_IMPORT,
        *[f"reviews.{verb}_{model}" for verb in ("add", "change", "view")
          for model in ("channel", "reviewtag")],
        *_VIEW_CASES,
        *_MODELS,
        *[f"{app}.{verb}_{model}" for verb in ("add", "change", "view", "delete")
          for app, model in (("analysis", "category"), ("cases", "stagelimit"),
                             ("cases", "routingrule"), ("cases", "calendarday"),
                             ("cases", "casesettings"))],
        *[f"notifications.{verb}_robot" for verb in ("add", "change", "view", "delete")],
        "notifications.view_robotmessage",
    ],
}


def sync_role_groups(*args: Any, apps: Any = None, **kwargs: Any) -> None:
    """Create one group per role and grant it the role's default permissions."""
    from django.contrib.auth.models import Group, Permission

    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = DEFAULT_PERMISSIONS[role]
        query = models.Q()
        for name in wanted:
            app_label, codename = name.split(".")
            query |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(query))
