"""Sign-in, sign-out, the nav, and who may open which page."""

import pytest
from django.urls import reverse

from tests.personas import PASSWORD

PAGES = [
    "/",
    "/reports/backup-status/?active=true",
    "/reports/disk-usage/?srtKey=archiveBytes",
    "/reports/migration-plan/?os=mac",
    "/reports/cold-storage/?coldStorage=true",
    "/reports/search/?user=alice",
    "/devices/900000000000000000/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_signed_in_user(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_login_page_renders_a_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_signing_in_lands_on_the_overview(client, fleet):
    response = client.post(
        reverse("login"), {"username": "dave", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("overview")
    assert b"Overview" in response.content


def test_wrong_password_shows_an_error(client, fleet):
    response = client.post(reverse("login"), {"username": "dave", "password": "nope"})
    assert response.status_code == 200
    assert b"alert-error" in response.content


def test_sign_out_is_a_post_form(login):
    client = login("dave")
    page = client.get("/").content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in page
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("root", "System administrator"),
        ("alice", "Org manager"),
        ("dave", "Desktop user"),
        ("sam", "Desktop user"),
    ],
)
def test_nav_shows_the_user_and_their_role(login, name, role):
    page = login(name).get("/").content.decode()
    assert f'<span class="username">{name}</span>' in page
    assert f">{role}</span>" in page
    for title in ("Backup status", "Disk usage", "Migration plan", "Cold storage", "Search"):
        assert f">{title}</a>" in page


@pytest.mark.parametrize(
    ("name", "sees_admin"), [("root", True), ("alice", False), ("dave", False)]
)
def test_admin_link_only_for_system_administrators(login, name, sees_admin):
    page = login(name).get("/").content.decode()
    assert (f'href="{reverse("admin:index")}"' in page) is sees_admin


def test_superuser_sees_the_admin_link(client, fleet):
    fleet["users"]["sam"].is_superuser = True
    fleet["users"]["sam"].save()
    client.login(username="sam", password=PASSWORD)
    assert f'href="{reverse("admin:index")}"'.encode() in client.get("/").content


def test_reports_are_read_only(login):
    client = login("root")
    assert client.post("/reports/backup-status/?active=true").status_code == 405
    assert client.post("/").status_code == 405


def test_unknown_report_is_404(login):
    assert login("root").get("/reports/nosuch/?a=1").status_code == 404
