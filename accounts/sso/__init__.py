"""Single sign-on (spec section 12): OpenID Connect (Authlib) and SAML 2.0 (djangosaml2).

- identity:  the signed-in person matched to the user the import or sync mirrored; who
             may come in; the roles the identity provider gives; the session kept.
- admission: whether a stranger's account (SSO_ADMIT_UNKNOWN) is still let in: at each
             sign-in, and at each request of its session (accounts.backends).
- config:    what the environment configured (settings.SSO_*, OIDC_*, SAML_*).
- oidc, saml: each protocol's sign-in, ending in identity.sign_in.
- models:    which roles came from the identity provider; each person's last sign-in.
- scim:      the provider's provisioning push (SCIM 2.0, /scim/v2/): a person it no
             longer allows loses every way in at once, not at their next sign-in.

Every sign-in URL lives under /sso/ (SCIM under /scim/v2/): a page that waits for
something else (a second factor) lets that prefix through.
"""
