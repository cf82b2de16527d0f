"""accounts 0010 keeps each account's one single sign-on binding so far as its
issuer's (SsoBinding), so that an upgrade refuses the newcomers it refused before."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.sso.models import SsoBinding

pytestmark = pytest.mark.django_db(transaction=True)


def test_0010_keeps_the_bindings_there_are(people):
    dave, erin = people["dave"], people["erin"]
    try:
        call_command("migrate", "accounts", "0009", verbosity=0)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO accounts_ssoidentity"
                " (user_id, protocol, issuer, subject, last_sign_in_at, ended_by_idp_at)"
                " VALUES (%s, %s, %s, %s, %s, NULL)",
                [
                    (dave.pk, "oidc", "https://idp.example.com", "dave-1", timezone.now()),
                    (erin.pk, "", "", "", None),  # refused before any binding
                ],
            )
        call_command("migrate", "accounts", "0010", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    bindings = SsoBinding.objects.values_list("user_id", "protocol", "issuer", "subject")
    assert list(bindings) == [(dave.pk, "oidc", "https://idp.example.com", "dave-1")]
