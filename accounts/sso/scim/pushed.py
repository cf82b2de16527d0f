"""What a provider's push says of a person, read from its JSON as sent: whether they are
active, and who they are (a POST). Nothing else is kept here (the people are the
vendor's), so nothing else is validated: providers send their own extensions,
enterprise attributes as they please (Entra ID's `manager` as a bare string) and paths
to values this product does not hold (`addresses[type eq "work"].formatted`), and a
strict reading refused the whole push, the deactivation in it included."""

from __future__ import annotations

from scim2_models import InvalidSyntaxException, InvalidValueException

PATCH_OPERATIONS = ("add", "replace", "remove")
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def active_in_patch(body) -> bool | None:
    """The `active` a PatchOp leaves (the last operation that sets it), or None."""
    operations = _object(body).get("Operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidValueException(detail="Operations must be a list of operations.")
    active = None
    for number, operation in enumerate(operations, start=1):
        if not isinstance(operation, dict):
            raise InvalidValueException(detail=f"Operations[{number}] is not an object.")
        op = str(operation.get("op", "")).lower()
        if op not in PATCH_OPERATIONS:
            raise InvalidValueException(
                detail=f"Operations[{number}].op is {operation.get('op')!r}, not add, "
                "replace or remove."
            )
        path = _attribute(operation.get("path"))
        if op != "remove" and path == "active":
            active = _boolean(operation.get("value"), f"Operations[{number}].value")
        elif op != "remove" and not path and isinstance(operation.get("value"), dict):
            found = active_in(operation["value"], f"Operations[{number}].value")
            active = active if found is None else found
    return active


def active_in(body, where: str = "the body") -> bool | None:
    """The `active` of a whole resource (PUT, POST, a PATCH value without a path)."""
    fields = {_attribute(name): value for name, value in _object(body).items()}
    if isinstance(fields.get(CORE_USER.lower()), dict):  # attributes under their schema's URN
        fields |= {_attribute(name): value for name, value in fields[CORE_USER.lower()].items()}
    if "active" not in fields:
        return None
    return _boolean(fields["active"], f"{where}: active")


def names_in(body) -> tuple[str, str]:
    """(userName, the primary address or the first) of a new resource."""
    fields = {_attribute(name): value for name, value in _object(body).items()}
    user_name = fields.get("username")
    if not isinstance(user_name, str) or not user_name.strip():
        raise InvalidValueException(detail="userName is required: who the provider assigned.")
    sent = fields.get("emails") or []
    if not isinstance(sent, list):  # `for` over a number was a TypeError, a 500
        raise InvalidValueException(detail="emails must be a list of addresses.")
    emails = [email for email in sent if isinstance(email, dict) and email.get("value")]
    emails.sort(key=lambda email: not email.get("primary"))
    return user_name.strip(), str(emails[0]["value"]).strip() if emails else ""


def _object(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object.")
    return body


def _attribute(path) -> str:
    """An attribute's name as compared: case-insensitive (RFC 7643 2.1), without the
    core schema's URN a provider may put before it."""
    name = str(path or "").strip().lower()
    prefix = CORE_USER.lower() + ":"
    return name[len(prefix) :] if name.startswith(prefix) else name


def _boolean(value, where: str) -> bool:
    """true or false, or Entra ID's "True" and "False" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValueException(detail=f"{where} must be true or false, not {value!r}.")
