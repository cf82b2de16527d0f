"""This product's accounts as SCIM Users, and the accounts a provider names.

A provider knows a person by the field single sign-on matches on (SSO_MATCH: their
email, or their username), so that is the resource's userName: the same person a
sign-in finds is the one a provisioning push finds, case-insensitively."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from pydantic import ValidationError
from scim2_models import InvalidFilterException, Meta, User
from scim2_models.path import Comparison, ScimFilter, ValuePath

from accounts.sso import config, identity

# Filters a provider sends to find a person (Okta, Entra ID: `userName eq "…"`), on the
# fields this product holds, as Django lookups; case-insensitive, as userName is.
OPERATORS = {"eq": "iexact", "sw": "istartswith", "ew": "iendswith", "co": "icontains"}
FILTERS_TOLD = (
    "a filter here compares one attribute: userName, emails (or emails.value), id or "
    'externalId, with eq, sw, ew or co, e.g. userName eq "ana@example.com"'
)


def listed() -> QuerySet:
    """Every account, but those the provider deleted (RFC 7644 3.6: a deleted resource
    is not found), oldest first: pages that stay put while accounts are added."""
    return (
        get_user_model()
        ._default_manager.exclude(sso_identity__removed_by_idp_at__isnull=False)
        .select_related("sso_identity")
        .order_by("pk")
    )


def user_name(user) -> str:
    return getattr(user, config.match_field()) or user.get_username()


def resource(user, location: str) -> User:
    """The account as a SCIM User: what the mirror holds, and whether they may sign in
    (an administrator's, the vendor's or the provider's deactivation: not active)."""
    fields = {
        "id": str(user.pk),
        "userName": user_name(user),
        "active": user.may_sign_in,
        "meta": Meta(resource_type="User", created=user.date_joined, location=location),
    }
    if full_name := user.get_full_name():
        fields["displayName"] = full_name
        fields["name"] = {
            "givenName": user.first_name or None,
            "familyName": user.last_name or None,
            "formatted": full_name,
        }
    if user.email:
        fields["emails"] = [{"value": user.email, "type": "work", "primary": True}]
    try:
        return User.model_validate(fields)
    except ValidationError:
        # An address the vendor holds that SCIM's email type refuses ("ana@localhost"):
        # the person is still found and deprovisioned by userName, so left out.
        fields.pop("emails", None)
        return User.model_validate(fields)


def filtered(text: str) -> QuerySet:
    """The accounts a provider's filter names; InvalidFilterException naming what is
    not understood."""
    node = ScimFilter(text).ast
    if isinstance(node, ValuePath) and node.attr_path.attr.lower() == "emails":
        node = node.val_filter  # emails[value eq "…"], emails[type eq "work" and …]: its value
        attribute = "emails"
    elif isinstance(node, Comparison):
        attribute = node.attr_path.attr.lower()
        if node.attr_path.sub_attr and (attribute, node.attr_path.sub_attr.lower()) != (
            "emails",
            "value",
        ):
            raise InvalidFilterException(detail=f"{text!r}: {FILTERS_TOLD}")
    else:
        raise InvalidFilterException(detail=f"{text!r}: {FILTERS_TOLD}")
    comparison = _value_comparison(node) if attribute == "emails" else node
    if comparison is None or comparison.op.value not in OPERATORS:
        raise InvalidFilterException(detail=f"{text!r}: {FILTERS_TOLD}")
    lookup, value = OPERATORS[comparison.op.value], str(comparison.value)
    people = listed()
    field = config.match_field()
    if lookup == "iexact" and field == {"username": field, "emails": "email"}.get(attribute):
        return _the_person(people, field, value)
    if attribute == "username":
        return people.filter(**{f"{field}__{lookup}": value})
    if attribute == "emails":
        return people.filter(**{f"email__{lookup}": value})
    if attribute == "id":
        return (
            people.filter(pk=int(value))
            if value.isascii() and value.isdigit() and lookup == "iexact"  # not "²"
            else people.none()
        )
    if attribute == "externalid":
        return people.none()  # none is kept: the provider's own id for a person it linked
    raise InvalidFilterException(detail=f"{text!r}: {FILTERS_TOLD}")


def _the_person(people: QuerySet, field: str, value: str) -> QuerySet:
    """The one account a sign-in with this name would use (identity.mirrored_user): the
    vendor's current person, not an account it ended nor one a sign-in made for them as
    a stranger. Listing all of them, oldest first, had a provider deactivate the old
    account and the person keep every way in (found by an audit). Two that a sign-in
    cannot choose between are all listed, for the provider to refuse."""
    named = identity.Identity(protocol="scim", issuer="", subject="", email=value, username=value)
    try:
        person, _ = identity.mirrored_user(named)
    except identity.Refused:
        sifted = people.filter(**{f"{field}__iexact": value})
        return sifted.filter(
            pk__in=[
                pk
                for pk, held in sifted.values_list("pk", field)
                if identity.same_name(held, value)
            ]
        )
    return people.filter(pk=person.pk) if person is not None else people.none()


def _value_comparison(node) -> Comparison | None:
    """The `value` comparison of an emails filter (alone, or beside a `type eq`)."""
    terms = getattr(node, "terms", (node,))
    found = [
        term
        for term in terms
        if isinstance(term, Comparison)
        and str(term.attr_path).lower() in ("value", "emails.value", "emails")
    ]
    return found[0] if len(found) == 1 else None
