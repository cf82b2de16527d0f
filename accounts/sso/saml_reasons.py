"""Why a SAML answer was refused, in words the page and the audit log may show.

djangosaml2 hands its refusals to one hook (accounts.sso.saml), each the exception
pysaml2 raised; all of them were "could not be verified", on the log too, whether the
answer had expired, was meant for another site, was unsigned or answered no request
(found by an audit). What the provider chose to say (a status message) is quoted as its
words (accounts.sso.refusal.provider_words); pysaml2's own messages, which hold the
answer's XML, are not shown.
"""

from __future__ import annotations

from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.sigver import MissingKey, SignatureError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from accounts.sso.refusal import provider_words

UNVERIFIED = "The identity provider's answer could not be verified."
OUT_OF_TIME = (
    "The identity provider's answer is out of its time: expired, or not valid yet "
    "(the two clocks may differ)."
)
UNSIGNED = "The identity provider's answer is not signed by its key (unsigned, or altered)."
UNSOLICITED = (
    "The identity provider's answer is to no sign-in this browser started (unsolicited, "
    "or its InResponseTo unknown or already used)."
)
ANOTHER_AUDIENCE = "The identity provider's answer is meant for another site (its audience)."
ANOTHER_DESTINATION = (
    "The identity provider's answer is addressed to another site (its Destination)."
)
NO_ANSWER = (
    "The browser sent no answer of the identity provider (no SAMLResponse): start the "
    "sign-in again."
)
NO_ASSERTION = "The identity provider's answer holds no assertion that could be verified."
REPLAYED = "The identity provider's answer was already used."
REPLAY_UNCHECKED = (
    "The sign-in cannot be checked against a replay just now (the database does not "
    "answer); try again in a minute."
)
# pysaml2 raises a bare Exception for an audience of another site; its message says so.
AUDIENCE_MESSAGE = "AudienceRestrictions conditions not satisfied"


def refused_because(exception: BaseException | None) -> str:
    """The reason for a refusal pysaml2 raised, or UNVERIFIED for one it did not name."""
    if isinstance(exception, ResponseLifetimeExceed | ToEarly):
        return OUT_OF_TIME
    if isinstance(exception, SignatureError | IncorrectlySigned | MissingKey):
        return UNSIGNED
    if isinstance(exception, UnsolicitedResponse):
        return UNSOLICITED
    if isinstance(exception, StatusError):
        # pysaml2's message ends with the provider's: "<status message> from <code>".
        said = provider_words(str(exception).rpartition("\n")[2])
        return f"The identity provider refused the sign-in ({said})."
    if exception is not None and AUDIENCE_MESSAGE in str(exception):
        return ANOTHER_AUDIENCE
    return UNVERIFIED


def without_assertion(response) -> str:
    """Why pysaml2 handed back an answer with no assertion: it leaves the assertion out
    of an answer it did not verify (a Destination of another site, an issue instant
    out of range, an InResponseTo of another request) rather than raise."""
    destination = response.response.destination if response.response is not None else None
    if destination and destination not in (response.return_addrs or []):
        return ANOTHER_DESTINATION
    return NO_ASSERTION
