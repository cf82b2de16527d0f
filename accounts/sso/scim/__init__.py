"""SCIM 2.0 provisioning (RFC 7643, 7644) under /scim/v2/: the identity provider tells
this product at once when it no longer allows a person (spec section 12, "access ends at
once ... when the identity provider no longer allows them"), instead of at their next
sign-in, which a session, token or API client never makes.

What it changes is whether a person may sign in, nothing else: the people, their names
and addresses are the vendor's (the import and sync mirror them), and roles come from
the provider's groups at sign-in (accounts.sso.identity). So a provider's
`active: false` (PATCH or PUT) and DELETE end every way in as a refused sign-in does
(identity.end_access), `active: true` gives back what only the provider took, and a
POST links the person the mirror already knows; it makes no account.

- people:  an account as a SCIM User, and the accounts a filter or a new resource names.
- answers: SCIM's JSON answers and errors.
- views:   the endpoints and their bearer token (settings.SCIM_TOKEN).
"""
