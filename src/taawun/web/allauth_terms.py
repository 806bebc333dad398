"""Words on django-allauth's pages that this site translates itself.

allauth ships its own Arabic, but a few of its words clash with the site's: its "Sign Up" reads
as "subscription" (الاشتراك) next to the site's "create an account", and some are ungrammatical.
Marking allauth's exact msgids here puts them in the site's catalogue, which Django consults
before allauth's. Nothing imports this module; ``makemessages`` reads it.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = (
    gettext_noop("Signup"),
    gettext_noop("Sign Up"),
    gettext_noop(
        "If you have not created an account yet, then please %(link)ssign up%(end_link)s first."
    ),
    gettext_noop("Two-Factor Authentication"),
    gettext_noop("Email address"),
    gettext_noop("No security keys have been added."),
)
