from accounts.models import User
from accounts.services import personal_workspace_create


def give_new_user_a_personal_workspace(sender, instance: User, created: bool, raw: bool, **kwargs):
    # A signal, not the sign-up view, because accounts are also made by
    # invitations, the admin and createsuperuser, and each needs one.
    if created and not raw:
        personal_workspace_create(user=instance)


def forget_what_only_the_user_could_see(sender, instance: User, **kwargs):
    """Before an account goes: its private notes and its personal workspace go with it.

    Notes it shared with a workspace stay, attributed to a deleted user
    (Note.author is SET_NULL), because the team's discussion is theirs too.
    """
    from papers.models import Note

    Note.objects.filter(author=instance, visibility=Note.Visibility.PRIVATE).delete()
    instance.workspaces.filter(is_personal=True).delete()
