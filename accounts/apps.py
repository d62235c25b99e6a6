from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.signals import give_new_user_a_personal_workspace

        post_save.connect(
            give_new_user_a_personal_workspace,
            sender=self.get_model("User"),
            dispatch_uid="personal_workspace",
        )
