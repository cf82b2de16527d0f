"""The second factor's two pages (accounts.second_factor): enrolling an authenticator
app (a QR code, drawn here as inline SVG, and its key in words), and the code asked
after the password. A code is checked by django-otp's TOTPDevice, which refuses a code
already used (no replay) and waits longer after each wrong one (throttling)."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, locks, second_factor
from accounts.local_signin import signed_in_with_password

WRONG_CODE = "That code is wrong or was already used: enter the code your app shows now."
THROTTLED = "Too many wrong codes: wait a minute, then enter the code your app shows now."


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Code",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def check(self, device: TOTPDevice) -> bool:
        """Whether the code passes on this device; if not, the form says why.

        One check at a time, on the device as the last one left it: django-otp reads the
        device, then writes the code used (last_t) and the wrong codes counted, so codes
        sent at once were each checked against the same row: one code passed in every
        session that sent it, and a burst of guesses counted as one wrong code and one
        wait (found by an audit of section 12). The lock is held for the check alone."""
        if not self.is_valid():
            return False
        with transaction.atomic():
            locks.wait_in_transaction(CODE_CHECKS_LOCK)
            try:
                device.refresh_from_db()
            except TOTPDevice.DoesNotExist:  # deleted meanwhile (the admin, another enrolment)
                self.add_error("code", WRONG_CODE)
                return False
            allowed, _ = device.verify_is_allowed()
            passed = device.verify_token(self.cleaned_data["code"].strip())
        if not passed:
            self.add_error("code", WRONG_CODE if allowed else THROTTLED)
        return passed


CODE_CHECKS_LOCK = 0x42525446  # "BRTF", any number of its own: the codes checked in turn


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _passed(request: HttpRequest, device: TOTPDevice, **details) -> HttpResponse:
    """The session has passed its second factor: a new session key (as at sign-in),
    marked verified by this device."""
    request.session.cycle_key()
    otp_login(request, device)
    _record(request, "signin.succeeded", **details)
    return HttpResponseRedirect(_next_url(request))


def _record(request: HttpRequest, kind: str, **details) -> None:
    """A code passed or refused, on the audit log beside the password's sign-in (wrong
    codes left no trace, 2026-12-06)."""
    user = request.user
    audit.record(
        kind, actor=user, target=user.get_username(), request=request, method="totp", **details
    )


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if not second_factor.waiting(request):
        return HttpResponseRedirect(_next_url(request))
    device = _confirmed_device(request.user)
    if device is None:
        query = urlencode({"next": _next_url(request)})
        return HttpResponseRedirect(f"{reverse('second_factor_enrol')}?{query}")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if form.check(device):
            return _passed(request, device)
        _record(request, "signin.failed")
    context = {"form": form, "next": _next_url(request), "signing_in": True}
    return render(request, "registration/second_factor_verify.html", context)


ENROLLING = "second_factor_enrolling"  # the session's unconfirmed device, by id


def _unconfirmed_device_of_this_session(request: HttpRequest) -> TOTPDevice:
    """The key this session is shown until it confirms a code: its own. One shared by
    every session of the user showed the key to whoever had the password and opened the
    page, and the owner later confirmed that very key (2026-12-06). A new session gets
    a new key, the one another session left unconfirmed taken away."""
    user = request.user
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False)
    device = unconfirmed.filter(pk=request.session.get(ENROLLING)).first()
    if device is None:
        unconfirmed.delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[ENROLLING] = device.pk
    return device


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # our own drawing of our own text


@never_cache
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """For a password session that must use a second factor and has no app yet. (Once
    one is confirmed, replacing it is a system administrator's job: they delete the
    device in the admin, and the next sign-in enrols again.)"""
    user = request.user
    if not (signed_in_with_password(request) and second_factor.required_of(user)):
        return HttpResponseRedirect(_next_url(request))  # nothing to enrol for
    if _confirmed_device(user) is not None:
        return HttpResponseRedirect(
            f"{reverse('second_factor_verify')}?{urlencode({'next': _next_url(request)})}"
        )
    device = _unconfirmed_device_of_this_session(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if form.check(device):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Said apart from a code passed: a new authenticator on an administrator's
            # account, perhaps by whoever had only the password, looked like any sign-in
            # (found by an audit). Its removal is the admin's deletion (admin.change).
            return _passed(request, device, second_factor="enrolled")
        _record(request, "signin.failed")
    context = {
        "form": form,
        "next": _next_url(request),
        "qr_svg": _qr_svg(device.config_url),
        "key": base64.b32encode(device.bin_key).decode(),
        "signing_in": True,  # no menu yet (templates/base.html)
    }
    return render(request, "registration/second_factor_enrol.html", context)
