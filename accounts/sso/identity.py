"""From a verified sign-in at the identity provider to a session here.

Both protocols end here with an Identity whose signature, issuer, audience and age they
have checked. `sign_in` then decides, the same way for OpenID Connect and SAML:

1. who: the user the import or sync mirrored whose email (or username, SSO_MATCH)
   equals the provider's, case-insensitively. Never a second account: nobody found (or
   two found, but for one the vendor ended beside one it has not) is refused, unless
   SSO_ADMIT_UNKNOWN lets a stranger in (with the roles their groups map to, as
   anyone: an administrator who backs up no laptop is one); turned off, it no longer
   does, the accounts it made included.
   A stranger the mirror brings later signs in as the mirrored user; the account made
   for them gives way (deactivated, its binding moved): one way in, never two.
2. whether: the vendor's deactivation, an administrator's, and SSO_ALLOWED_GROUPS. A
   mirrored person the provider no longer allows is deactivated here, which ends their
   sessions, Basic, tokens and API clients at once (User.may_sign_in); a later allowed
   sign-in gives back what only the provider's refusal took.
3. what: the roles their provider groups map to (SSO_ROLE_GROUPS), added and removed at
   every sign-in; a role given in the admin stays (accounts.sso.models.IdpRole).
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import AnonymousUser, Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit, backends
from accounts.models import end_sessions
from accounts.roles import ROLE_GROUPS
from accounts.sso import config
from accounts.sso.admission import made_more_of_by_hand, no_longer_admitted
from accounts.sso.models import IdpRole, SsoBinding, SsoIdentity
from accounts.storable_text import unstorable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """A person as the identity provider vouched for them, already verified."""

    protocol: str  # "oidc" or "saml"
    issuer: str
    subject: str
    email: str = ""
    username: str = ""
    groups: frozenset[str] = frozenset()

    @property
    def folded_groups(self) -> frozenset[str]:
        return frozenset(name.casefold() for name in self.groups)


class Refused(Exception):
    """The sign-in is refused; the message is for the person, `who` the one the
    provider named (for the audit log), when it named one."""

    def __init__(self, message: str, who: str = "") -> None:
        super().__init__(message)
        self.who = who


def groups_from(value) -> frozenset[str]:
    """A groups claim or attribute: a list of names, or one name. Anything else (a
    number, true, an object: a provider's mapping gone wrong) is no group, said in the
    log; it was a 500 (found by an audit)."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset([value])
    if not isinstance(value, list | tuple):
        log.warning(
            "SSO: a groups claim that is not a list of names (%s): no groups", type(value).__name__
        )
        return frozenset()
    return frozenset(str(name) for name in value if name)


def as_compared(text: str) -> str:
    """A name or address as it is looked up: trimmed, and in Unicode's composed form
    (NFC), as the vendor's export writes it; a provider that sends "josé" decomposed
    (e and a combining accent) matched no one, or with SSO_ADMIT_UNKNOWN made a second
    account (found by an audit)."""
    return unicodedata.normalize("NFC", text.strip())


def same_name(held: str, given: str) -> bool:
    """Whether a name or address held here is the one given, case aside: equal once both
    are lowered and once both are raised, so that they differ only in letters that are
    each other's capitals both ways. The database's case-blind lookup (`__iexact`: UPPER()
    on PostgreSQL) is only a first sift: "admın" (a dotless ı) and "ſam" (a long s) raise
    to ADMIN and SAM, and a provider where people pick their own name signed them in as
    admin and sam, or ended their access (found by an audit of section 12)."""
    held, given = as_compared(held), as_compared(given)
    return held.lower() == given.lower() and held.upper() == given.upper()


def _storable(identity: Identity) -> None:
    """Claims the database can hold (accounts.storable_text, the edge's one rule), or
    Refused naming the claim: a NUL in a username claim was PostgreSQL's DataError, a
    500, at the lookup (found by an audit)."""
    for claim in ("issuer", "subject", "email", "username"):
        if what := unstorable(getattr(identity, claim)):
            raise Refused(f"The identity provider's {claim} {what}: it cannot be signed in with.")
    for claim in ("issuer", "subject"):
        longest = SsoBinding._meta.get_field(claim).max_length
        if len(getattr(identity, claim)) > longest:
            raise Refused(f"The identity provider's {claim} is longer than {longest} characters.")


def _fits(user, field: str, value: str) -> None:
    """A stranger's account holds the claim, or Refused: an address of more than 150
    characters, made the username, was PostgreSQL's DataError, a 500 (found by an audit)."""
    longest = type(user)._meta.get_field(field).max_length
    if len(value) > longest:
        raise Refused(
            f"Your {field} is longer than the {longest} characters an account here holds; "
            "ask an administrator."
        )


# The most accounts one claim is looked up against: a mirrored user and the strangers
# admitted with its address before the mirror brought it; more is refused as ambiguous.
MATCHES_LOOKED_AT = 10


def mirrored_user(identity: Identity):
    """(the one user the identity names by the configured field, or None; the accounts
    made for that person as a stranger, which give way to them: see _strangers_before)."""
    field = config.match_field()
    value = as_compared(identity.email if field == "email" else identity.username)
    if not value:
        raise Refused(f"The identity provider sent no {field} to find your account by.")
    users = get_user_model()._default_manager.select_related("sso_identity")
    sifted = users.filter(**{f"{field}__iexact": value})[:MATCHES_LOOKED_AT]
    found = _without_the_vendors_ended(
        [user for user in sifted if same_name(getattr(user, field), value)]
    )
    if len(found) <= 1:
        return (found[0] if found else None), []
    mirrored = [user for user in found if user.user_uid]
    strangers = [user for user in found if _admitted_as(user, identity)]
    if len(mirrored) == 1 and len(mirrored) + len(strangers) == len(found):
        return mirrored[0], strangers
    log.warning("SSO: %s %r names more than one user; refused", field, value)
    raise Refused(f"More than one account here has that {field}; ask an administrator.")


def _without_the_vendors_ended(found: list) -> list:
    """The users found, but those the vendor ended (deactivated, blocked, or departed:
    reports.importing.mirror) when exactly one mirrored user it has not ended remains.
    A person the vendor made anew (a new userUid, the same address) kept the old
    account's address, and "more than one account" refused their every sign-in (found
    by an audit). The old account could not sign in anyway (User.may_sign_in)."""
    mirrored = [user for user in found if user.user_uid]
    current = [user for user in mirrored if user.user_status not in user.VENDOR_ENDED]
    if len(mirrored) <= 1 or len(current) != 1:
        return found
    return [user for user in found if not user.user_uid or user in current]


def _admitted_as(user, identity: Identity) -> bool:
    """Whether a sign-in made this account for this very person as a stranger
    (SSO_ADMIT_UNKNOWN): marked when made (SsoIdentity.admitted_at), never mirrored,
    and bound to no other subject of this provider. An account an administrator made
    has no mark: it never gives way, and two accounts stay refused."""
    standing = getattr(user, "sso_identity", None)
    if user.user_uid or standing is None or standing.admitted_at is None:
        return False
    return not _bound_to_another(user, identity) and not _made_more_of(user, identity)


def _made_more_of(user, identity: Identity) -> bool:
    """Whether someone made the stranger's account more than its sign-ins did: a
    superuser or staff flag, a role given by hand (no IdpRole row), an API client, or
    a binding through another provider. Retired, it lost them unsaid (found by a
    review): such an account does not give way, and both stay refused, for an
    administrator to merge by hand."""
    if made_more_of_by_hand(user):
        return True
    if not identity.issuer:
        # SCIM names a person, through no provider's sign-in: the stranger's own binding
        # was "another provider's", and SCIM never found the person the mirror brought
        # nor ended the stranger's account with them (found by an audit).
        return False
    return SsoBinding.objects.filter(user=user).exclude(issuer=identity.issuer).exists()


def _retire_strangers(strangers, user, identity: Identity, now) -> None:
    """The mirror brought a person let in as a stranger: the sign-in is the mirrored
    user's, the provider's binding moves to it, and the stranger's account is
    deactivated, which ends its sessions, tokens and API clients (User.may_sign_in);
    recorded. With both, her next sign-in was refused as "more than one account" for
    good (found by an audit). Its data stays, as a deactivation's does."""
    SsoBinding.objects.filter(user__in=strangers, issuer=identity.issuer).delete()
    for stranger in strangers:
        if not stranger.is_active:
            continue  # retired at an earlier sign-in
        ended = type(stranger)._default_manager.filter(pk=stranger.pk)
        end_sessions(ended)
        ended.update(is_active=False)
        audit.record("sso.stranger_retired", target=stranger.username, mirrored=user.username)
        log.warning("SSO: %s, admitted as a stranger, gives way to mirrored %s", stranger, user)


class _AdmittedMeanwhile(Exception):
    """Another sign-in made the stranger's account while this one was making it."""


def _admitted_stranger(identity: Identity):
    """A user for a person the mirror does not know (SSO_ADMIT_UNKNOWN): of no org,
    with the roles their provider groups map to (apply_roles), none otherwise."""
    User = get_user_model()
    username = as_compared(identity.username or identity.email)
    taken = username and (
        User._default_manager.select_related("sso_identity")
        .filter(username__iexact=username)
        .first()
    )
    if taken and taken.is_active and _admitted_as(taken, identity):
        # The same stranger's other first sign-in committed the account after this one
        # looked for it (mirrored_user): refused, a double click read "not known here"
        # (found by a review). Found again, it is signed in to.
        raise _AdmittedMeanwhile
    if not username or taken:
        raise Refused("Your account is not known here; ask an administrator.")
    user = User(username=username, email=as_compared(identity.email))
    _fits(user, "username", user.username)
    _fits(user, "email", user.email)
    user.set_unusable_password()
    try:
        with transaction.atomic():  # a savepoint: the sign-in's transaction goes on
            user.save()
    except IntegrityError as error:
        # The same stranger's other first sign-in (two tabs, a double click) made the
        # account between the check above and this insert: PostgreSQL's unique index
        # held this insert until it committed. It was a 500 (found by an audit of
        # section 12); sign_in starts again and finds that account.
        raise _AdmittedMeanwhile from error
    SsoIdentity.admitted(user, identity.protocol, identity.issuer, timezone.now())
    # On the record as an administrator's adding of a user is (admin.change): the log
    # said only that a role was given and someone signed in (found by an audit).
    audit.record(
        "sso.stranger_admitted",
        target=user.username,
        email=user.email,
        protocol=identity.protocol,
        issuer=identity.issuer,
    )
    return user


def is_allowed(identity: Identity) -> bool:
    allowed = config.allowed_groups()
    return not allowed or bool(allowed & identity.folded_groups)


def end_access(user, now, actor=None) -> None:
    """The identity provider no longer allows this person (a refused sign-in, or its
    SCIM push: accounts.sso.scim): deactivated here, which ends every session, token and
    API client at once; their data stays. Not a superuser: the break-glass account must
    survive a provider that is misconfigured or taken."""
    if user.is_active and not user.is_superuser:
        ended = type(user)._default_manager.filter(pk=user.pk)
        ended.update(is_active=False)
        user.is_active = False
        end_sessions(ended)  # ended, not only refused while the refusal lasts
        SsoIdentity.ended_by_provider(user, now)
        # On the record as an administrator's deactivation is (admin.change): the
        # refused sign-in alone did not say that every way in had ended (found by an audit).
        audit.record("sso.access_ended", actor=actor, target=user.get_username())
        log.warning("SSO: %s is no longer allowed by the identity provider: deactivated", user)


def restore_access(user, actor=None, by_scim: bool = False) -> None:
    """The provider allows this person again: what only the provider took is given back
    (an administrator's or the vendor's deactivation stays), the way it was taken: a
    refused sign-in's end by an allowed sign-in, its SCIM push's by its push (`by_scim`;
    SsoIdentity.ended_by_scim). Okta's PUT says `active: true` at any change of a
    profile, of a person outside SSO_ALLOWED_GROUPS too (found by an audit)."""
    ended = SsoIdentity.objects.filter(user=user, ended_by_idp_at__isnull=False)
    ended = ended.filter(ended_by_scim=by_scim).exists()
    if ended and not user.is_active:
        user.is_active = True
        type(user)._default_manager.filter(pk=user.pk).update(is_active=True)
        SsoIdentity.no_longer_ended_by_provider([user.pk])
        audit.record("sso.access_restored", actor=actor, target=user.get_username())


def apply_roles(user, identity: Identity, now) -> None:
    """The roles the provider's groups map to, added and removed; the admin's stay."""
    mapping = config.role_groups()
    from_provider = {grant.group.name: grant for grant in user.idp_roles.select_related("group")}
    # Asked before giving up on an empty mapping: with every mapping removed (the
    # SSO_GROUPS_* variables unset), a System administrators role the provider gave
    # stayed for good, as one mapping removed no longer did (found by an audit).
    if not mapping and not from_provider:
        return
    groups = identity.folded_groups
    wanted = {role for role, idp_groups in mapping.items() if idp_groups & groups}
    roles = user.groups.filter(name__in=ROLE_GROUPS.values())
    member_of = set(roles.values_list("name", flat=True))
    # A role the provider gave whose groups are no longer mapped goes too: its mapping
    # removed from the settings kept it for ever (found by an audit).
    for role in mapping.keys() | from_provider.keys():
        if role in wanted and role not in member_of:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
            IdpRole.objects.update_or_create(user=user, group=group, defaults={"granted_at": now})
        elif role not in wanted and role in from_provider:
            user.groups.remove(from_provider[role].group)
            from_provider[role].delete()


def _bound_to_another(user, identity: Identity) -> bool:
    """Whether the account is bound to another subject of this provider (an address
    given to someone new): refused before anything else is decided, or that someone
    new, refused by SSO_ALLOWED_GROUPS, deactivated the account's own person (found by
    an audit)."""
    others = SsoBinding.objects.filter(user=user, issuer=identity.issuer)
    return bool(identity.subject) and others.exclude(subject=identity.subject).exists()


def _bind(user, identity: Identity, now) -> None:
    """Remember who the provider said this is, one subject an issuer (SsoBinding); a
    different subject from the same issuer for the same account (an address given to
    someone new) is refused. A provider that names no lasting subject (SAML's transient
    NameID, new at each sign-in) binds nothing: each sign-in would be someone new."""
    if not identity.subject:
        SsoIdentity.signed_in(user, identity.protocol, identity.issuer, "", now)
        return
    binding, _ = SsoBinding.objects.get_or_create(
        user=user,
        issuer=identity.issuer,
        defaults={"protocol": identity.protocol, "subject": identity.subject, "bound_at": now},
    )
    if binding.subject != identity.subject:
        raise _refused_as_another(user, identity)
    SsoIdentity.signed_in(user, identity.protocol, identity.issuer, identity.subject, now)


def _refused_as_another(user, identity: Identity) -> Refused:
    log.warning("SSO: %s signed in as another subject of %s", user, identity.issuer)
    return Refused("This account is bound to another person at the identity provider.")


def sign_in(request, identity: Identity):
    """The session for a verified identity, or Refused (naming whom)."""
    # What the sign-in changes (roles given or taken, an account ended or retired) is
    # the provider's doing, recorded with no actor: the browser's earlier session, which
    # login() replaces, named its user as the one who made dave a system administrator
    # (the audit's actor is the request's user; found by an audit).
    request.user = AnonymousUser()
    try:
        try:
            return _sign_in(request, identity)
        except _AdmittedMeanwhile:
            # Once: the account is there now, committed; found, it is signed in to
            # (mirrored_user), and only the first sign-in recorded its admission.
            try:
                return _sign_in(request, identity)
            except _AdmittedMeanwhile:
                # Taken by a name mirrored_user does not match on (SSO_MATCH=email, a
                # provider with no lasting subject): refused, as before the retry; it
                # escaped as a 500 (found by a review).
                raise Refused("Your account is not known here; ask an administrator.") from None
    except Refused as refusal:
        refusal.who = identity.email or identity.username
        raise


def _sign_in(request, identity: Identity):
    now = timezone.now()
    _storable(identity)
    user, strangers = mirrored_user(identity)
    if user is not None and _bound_to_another(user, identity):
        raise _refused_as_another(user, identity)
    if not is_allowed(identity):
        if user is not None:
            end_access(user, now)  # kept: the refusal below rolls nothing back
        raise Refused("The identity provider does not allow you into this product.")
    with transaction.atomic():
        if user is None:
            if not settings.SSO_ADMIT_UNKNOWN:
                log.info("SSO: no mirrored user for %s %s", identity.protocol, identity.email)
                raise Refused("Your account is not known here; ask an administrator.")
            user = _admitted_stranger(identity)
        elif no_longer_admitted(user):
            raise Refused("Your account is not known here; ask an administrator.")
        restore_access(user)
        if not user.may_sign_in:
            raise Refused("Your account is deactivated.")
        _retire_strangers(strangers, user, identity, now)
        _bind(user, identity, now)
        with audit.via("the identity provider"):
            apply_roles(user, identity, now)
    login(request, user, backend=backends.PATH)
    # An end fixed at sign-in: a number of seconds is Django's idle timeout, moved on by
    # every save of the session (a visit to /sso/oidc/login/ that never completed kept
    # one alive past SSO_SESSION_HOURS for ever, 2026-12-06).
    request.session.set_expiry(now + dt.timedelta(hours=settings.SSO_SESSION_HOURS))
    return user
