from accounts.models import User
from accounts.services import personal_workspace_create


def give_new_user_a_personal_workspace(sender, instance: User, created: bool, raw: bool, **kwargs):
    # A signal, not the sign-up view, because accounts are also made by
    # invitations, the admin and createsuperuser, and each needs one.
    if created and not raw:
        personal_workspace_create(user=instance)
