"""A second import waits for the first to commit rather than race it (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import Org
from reports.importing.environment import import_environment
from reports.importing.one_at_a_time import wait_for_other_imports
from reports.importing.orgs import import_orgs

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has one writer anyway"
)


def org_tree(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-new,New,,\n", encoding="utf-8")
    return lambda: import_orgs(path)


def vendor_report(tmp_path):
    from tests.import_support import write_csv
    from tests.test_import_backup_report import vendor_row

    path = write_csv(tmp_path / "report.csv", [vendor_row(1, orgUid="org-new")])
    return lambda: import_environment(path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("importing", [org_tree, vendor_report])
def test_an_import_waits_for_the_one_running(tmp_path, importing):
    """Each kind of import waits for the lock first: the vendor report's wait, taken
    out, failed no test on PostgreSQL."""
    second_import_of = importing(tmp_path)
    outcome = {}

    def second_import():
        try:
            outcome["result"] = second_import_of()
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
