"""Every kind of audit event, with what it means: one list, which `record` checks a kind
against (a misspelt kind fails loudly in tests instead of vanishing from filters), the
reading page offers as its "what" filter, and the README's table repeats."""

KINDS = {
    # Signing in (spec section 12); details: method (password, sso, basic, api client,
    # token), and for a failure the username tried.
    "signin.succeeded": "signed in",
    "signin.failed": "failed to sign in",
    "signout": "signed out",
    "lockout.locked": "locked out after repeated failures",
    "lockout.lifted": "lockout lifted",
    "sso.bindings_forgotten": "single sign-on bindings forgotten (the next sign-in binds anew)",
    "sso.stranger_admitted": "an account made for a person the mirror does not know",
    "sso.stranger_retired": "a stranger's account deactivated: the mirror brought the person",
    "sso.access_ended": "deactivated: the identity provider no longer allows them",
    "sso.access_restored": "reactivated: the identity provider allows them again",
    "scim.refused": "a SCIM request refused: no bearer token, or a wrong one",
    "scim.removed": "the identity provider deleted the person (SCIM): ended, no longer listed",
    # API clients and tokens (spec section 7).
    "apiclient.created": "API client created",
    "apiclient.first_use": "API client used for the first time",
    "apiclient.revoked": "API client revoked",
    "token.issued": "token issued",
    # Roles (spec section 4); details: role, users, via (by hand, identity provider, in bulk).
    "role.given": "role given",
    "role.taken": "role taken",
    "invitation.sent": "invitation sent",
    "invitation.accepted": "invitation accepted",
    "password_reset.requested": "password reset requested",
    "password_reset.completed": "password reset completed",
    # Reading in bulk; details: the parameters and the number of rows.
    "export.csv": "CSV export",
    "export.xlsx": "XLSX export",
    "export.pdf": "management PDF (the overview and compliance)",
    "api.reads": "API page reads, summarised per caller and hour",
    "api.listing": "a vendor resource listed in bulk (one page of thousands of rows)",
    # Data (spec section 8).
    "upload.previewed": "upload previewed",
    "upload.confirmed": "upload confirmed",
    "upload.applied": "upload applied, or failed (saying why)",
    "upload.refused": "upload refused",
    "sync.now": "Sync now asked for in the browser",
    "sync.started": "sync started (by Sync now, the command or a schedule)",
    "sync.finished": "sync finished",
    "import.started": "import started by the command line (import_backup_report, import_orgs)",
    "import.finished": "import by the command line finished, or failed (saying why)",
    "report.rebuilt": "report table rebuilt by the command line, or failed (saying why)",
    # Saved views and subscriptions (spec section 15); sends are in the send log.
    "saved_view.saved": "view saved",
    "saved_view.deleted": "saved view deleted",
    "subscription.created": "subscription created",
    "subscription.ended": "subscription ended",
    # Settings.
    "notifications.preferences": "notification settings changed",
    "notifications.switch": "site-wide switch changed",
    "admin.change": "change in the admin",
    # The log itself.
    "audit.retention": "old events removed by retention",
}
