from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "taawun.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # allauth reports an e-mail change only through its signal; the receiver calls an action
        # so the change is recorded (and cached pages showing the address are rebuilt).
        from allauth.account.signals import email_changed

        from .actions import note_account_change

        def on_email_changed(sender: object, *, user: object, **kwargs: object) -> None:
            note_account_change(actor=user, user=user, what="email_changed")  # type: ignore[arg-type]

        email_changed.connect(on_email_changed, dispatch_uid="taawun_email_changed", weak=False)
