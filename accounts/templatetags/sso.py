"""{% sso_buttons %}: the login page's "Sign in with <provider>" buttons, first, when
single sign-on is configured; each carries the page asked for (next) on its round trip."""

from django import template

from accounts.sso import config

register = template.Library()


@register.inclusion_tag("accounts/sso_buttons.html", takes_context=True)
def sso_buttons(context) -> dict:
    return {"providers": config.providers(), "next": context.get("next", "")}
