from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.signals import (
            forget_what_only_the_user_could_see,
            give_new_user_a_personal_workspace,
        )

        user_model = self.get_model("User")
        post_save.connect(
            give_new_user_a_personal_workspace, sender=user_model, dispatch_uid="personal_workspace"
        )
        pre_delete.connect(
            forget_what_only_the_user_could_see, sender=user_model, dispatch_uid="forget_user"
        )
