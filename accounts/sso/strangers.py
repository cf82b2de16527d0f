"""The accounts sign-ins made for strangers (SSO_ADMIT_UNKNOWN) that give way when an
import or sync brings the person under the username such an account holds.

Let in under the very username the vendor gives them (their address, from a provider
that sends no preferred_username; or any, with SSO_MATCH=username), a stranger held it,
and every import and sync after was refused whole: "already belongs to another user (a
local account)" (found by an audit). The account gives way as it does at the person's
sign-in (identity._retire_strangers): deactivated, which ends its sessions, tokens and API
clients; its bindings gone, so that the provider's subject binds the mirrored person;
recorded; and its username moved aside for the person. Only when it is that person by
SSO_MATCH (by email, the same address too) and no administrator made more of it: else
the import is refused as before, for an administrator to settle.
"""

from __future__ import annotations

from accounts import audit
from accounts.models import User, end_sessions
from accounts.sso import config
from accounts.sso.admission import made_more_of_by_hand
from accounts.sso.identity import same_name
from accounts.sso.models import SsoBinding


def _admitted():
    return User._default_manager.filter(user_uid=None, sso_identity__admitted_at__isnull=False)


def admitted_usernames() -> list[str]:
    """The usernames the strangers' accounts hold: a few, let in one by one."""
    return list(_admitted().values_list("username", flat=True))


def giving_way(listed: dict[str, str]) -> dict[int, str]:
    """Of the strangers' accounts holding a username the file gives (`listed`: username
    -> the address the file gives with it), those that give way: pk -> username."""
    by_email = config.match_field() == "email"
    found = {}
    for user in _admitted().filter(username__in=list(listed)):
        address = listed[user.username]
        same = not by_email or same_name(user.email, address)
        if same and not made_more_of_by_hand(user):
            found[user.pk] = user.username
    return found


def notes(strangers: dict[int, str], dry_run: bool) -> list[str]:
    """What the import's outcome (a dry run's, an upload's preview, the run log) says of
    the strangers' accounts that give way (`giving_way`): the run deactivated them unsaid,
    and a preview showed no change at all (found by a review)."""
    if not strangers:
        return []
    verb = "would give way" if dry_run else "gave way"
    names = ", ".join(sorted(strangers.values())[:5])
    return [
        "Accounts single sign-on let in as strangers, holding usernames the file gives its "
        f"people, that {verb} (deactivated, their usernames moved aside): "
        f"{len(strangers):,} ({names})."
    ]


def give_way(strangers: dict[int, str]) -> list[str]:
    """Before the file's people are written, in its transaction: each stranger's account
    retired and its username moved aside (`giving_way`). The usernames of those that
    were active, for `record_retired` once the import has written."""
    limit = User._meta.get_field("username").max_length
    active = []
    for pk, username in strangers.items():
        retired = User._default_manager.filter(pk=pk)
        if retired.filter(is_active=True).exists():
            active.append(username)
        SsoBinding.objects.filter(user_id=pk).delete()
        end_sessions(retired)
        retired.update(is_active=False, username=f"~stranger~{pk}~{username}"[:limit])
    return active


def record_retired(usernames: list[str]) -> None:
    """The accounts `give_way` retired, on the audit log: last in the import's
    transaction, with which they commit or roll back. An event holds the chain's head
    to its transaction's end (accounts.audit.chain): recorded before the writes, it kept
    every sign-in and export waiting through them, minutes at a million rows (found by
    an audit of section 13)."""
    for username in usernames:
        audit.record("sso.stranger_retired", target=username, mirrored=username)
