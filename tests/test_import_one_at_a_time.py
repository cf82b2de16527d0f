"""A second import waits for the first to commit rather than race it (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import Org
from reports.importing.one_at_a_time import wait_for_other_imports
from reports.importing.orgs import import_orgs

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has one writer anyway"
)


@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_the_one_running(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-new,New,,\n", encoding="utf-8")
    outcome = {}

    def second_import():
        try:
            outcome["result"] = import_orgs(path)
        finally:
            connections.close_all()

    with transaction.atomic():
        wait_for_other_imports()  # as a running import holds it
        second = threading.Thread(target=second_import)
        second.start()
        time.sleep(1.0)
        assert second.is_alive(), "the second import did not wait"
        assert not Org.objects.filter(org_uid="org-new").exists()
    second.join(timeout=30)
    assert not second.is_alive()
    assert outcome["result"].timings["wait"] > 0.5
    assert Org.objects.filter(org_uid="org-new").exists()
