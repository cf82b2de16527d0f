"""A mail of the sign-in pages (a reset link, an invitation): its subject, plain text
and HTML, each from a template of `registration/` named after it. The plain text's
template turns autoescape off: it is no HTML, and "O'Brien" read "O&#x27;Brien" there."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_email(name: str, context: dict, to: str) -> EmailMultiAlternatives:
    """registration/<name>_subject.txt, <name>_email.txt and <name>_email.html."""
    subject = render_to_string(f"registration/{name}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"registration/{name}_email.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"registration/{name}_email.html", context), "text/html"
    )
    return message
