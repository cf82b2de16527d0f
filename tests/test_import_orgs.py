"""`manage.py import_orgs FILE.csv`: the org tree (spec section 6)."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from accounts.models import Org
from reports.importing.csv_file import CsvFile, FileErrors
from reports.importing.orgs import parse as parse_tree
from reports.models import ReportRow
from tests.import_support import database_snapshot, run, write_csv
from tests.test_read_model import assert_in_step

COLUMNS = ("orgUid", "orgName", "orgExtRef", "parentOrgUid")


def org(uid: str, parent: str = "", name: str | None = None, ext_ref: str = "") -> dict:
    return {
        "orgUid": uid,
        "orgName": name or uid.title(),
        "orgExtRef": ext_ref,
        "parentOrgUid": parent,
    }


@pytest.fixture
def orgs_csv(tmp_path):
    def make(rows, name="orgs.csv", columns=COLUMNS, **options):
        return write_csv(tmp_path / name, rows, columns=columns, **options)

    return make


def import_orgs(path, *args) -> str:
    return run("import_orgs", path, *args)


def expected_path(org: Org) -> str:
    """The path Org.save() would give, from the parents alone."""
    pks = []
    while org is not None:
        pks.append(org.pk)
        org = org.parent
    return "/" + "".join(f"{pk}/" for pk in reversed(pks))


def assert_paths_true() -> None:
    for each in Org.objects.select_related("parent"):
        assert each.path == expected_path(each), each.org_uid


def test_it_imports_a_tree_given_children_first(db, orgs_csv):
    rows = [
        org("accounting", "emea", ext_ref="ACC"),
        org("emea", "acme"),
        org("acme", name="Acme Corporation"),
        org("americas", "acme"),
        org("lab", "null"),  # the vendor's null: a top-level org
    ]
    output = import_orgs(orgs_csv(rows))
    assert "orgs: 5 created, 0 updated, 0 unchanged" in output
    accounting = Org.objects.get(org_uid="accounting")
    assert accounting.parent.org_uid == "emea"
    assert accounting.ext_ref == "ACC"
    assert accounting.depth == 3
    assert Org.objects.get(org_uid="acme").name == "Acme Corporation"
    assert Org.objects.get(org_uid="lab").parent is None
    assert_paths_true()


def test_a_second_import_of_the_same_file_changes_nothing(db, orgs_csv):
    path = orgs_csv([org("acme"), org("emea", "acme"), org("sales", "emea")])
    import_orgs(path)
    before = database_snapshot()
    assert "Imported: 0 created, 0 updated, 3 unchanged." in import_orgs(path)
    assert database_snapshot() == before


def test_moving_an_org_repaths_the_subtree_it_does_not_list(people, orgs, orgs_csv):
    output = import_orgs(orgs_csv([org("org-emea", "org-americas", name="EMEA")]))
    assert "orgs: 0 created, 1 updated" in output
    assert "Paths redone for 2 orgs the file does not list." in output  # accounting, sales
    accounting = Org.objects.get(org_uid="org-accounting")
    assert accounting.parent.parent.org_uid == "org-americas"
    assert_paths_true()
    dave_row = ReportRow.objects.get(owner_id=people["dave"].pk)
    assert dave_row.org_path == accounting.path
    assert_in_step()


def test_a_renamed_org_renames_its_report_rows(people, orgs_csv):
    import_orgs(orgs_csv([org("org-sales", "org-emea", name="Sales & Marketing", ext_ref="S&M")]))
    row = ReportRow.objects.get(owner_id=people["sam"].pk)
    assert (row.org_name, row.org_ext_ref) == ("Sales & Marketing", "S&M")
    assert_in_step()


def test_a_new_org_may_hang_below_a_known_one(orgs, orgs_csv):
    import_orgs(orgs_csv([org("payroll", "org-accounting")]))
    payroll = Org.objects.get(org_uid="payroll")
    assert payroll.path == f"{orgs['accounting'].path}{payroll.pk}/"


def test_an_unknown_parent_is_named_with_its_line(db, orgs_csv):
    path = orgs_csv([org("acme"), org("emea", "acme"), org("sales", "nowhere")])
    with pytest.raises(CommandError) as error:
        import_orgs(path)
    assert str(error.value).startswith(
        f'{path}, line 4, column parentOrgUid: unknown parent org "nowhere"'
    )
    assert not Org.objects.exists()


def test_a_cycle_in_the_file_is_refused(db, orgs_csv):
    path = orgs_csv([org("root"), org("a", "c"), org("b", "a"), org("c", "b")])
    with pytest.raises(
        CommandError, match=r"line 3, column parentOrgUid: .*cycle: a -> c -> b -> a"
    ):
        import_orgs(path)
    assert not Org.objects.exists()


def test_an_org_cannot_be_its_own_parent(db, orgs_csv):
    with pytest.raises(CommandError, match=r"line 2, column parentOrgUid: .*cycle: a -> a"):
        import_orgs(orgs_csv([org("a", "a")]))


def test_a_cycle_through_known_orgs_is_refused(people, orgs_csv):
    before = database_snapshot()
    # Acme below Accounting, which is below Acme already.
    with pytest.raises(CommandError, match=r"line 2, column parentOrgUid: .*cycle"):
        import_orgs(orgs_csv([org("org-acme", "org-accounting", name="Acme")]))
    assert database_snapshot() == before


def test_a_file_checked_whole_names_no_cycle_a_refused_row_would_end(orgs, orgs_csv):
    """EMEA (known below Acme) refused for its name: its move out of Acme is not read,
    so Acme moving below EMEA is no cycle to name; the name is the file's one error."""
    path = orgs_csv([org("org-acme", "org-emea", name="Acme"), org("org-emea", name="E" * 201)])
    with pytest.raises(FileErrors) as failed:
        parse_tree(CsvFile(path, every_error=True))
    assert [(e.line, e.column) for e in failed.value.errors] == [(3, "orgName")]


def test_an_org_listed_twice_is_refused(db, orgs_csv):
    with pytest.raises(CommandError, match=r'line 3, column orgUid: "a" is already on line 2'):
        import_orgs(orgs_csv([org("a"), org("a")]))


def test_a_missing_column_is_named(db, orgs_csv):
    path = orgs_csv([org("a")], columns=("orgUid", "orgName", "orgExtRef"))
    with pytest.raises(CommandError, match=rf"^{path}, line 1, column parentOrgUid: required"):
        import_orgs(path)


def test_a_missing_uid_is_refused(db, orgs_csv):
    with pytest.raises(CommandError, match=r"line 3, column orgUid: orgUid is missing"):
        import_orgs(orgs_csv([org("a"), org("", "a")]))


def test_a_bad_row_leaves_the_database_exactly_as_it_was(people, orgs_csv):
    before = database_snapshot()
    rows = [org("org-emea", "org-americas", name="EMEA")] + [org(f"new-{n}") for n in range(20)]
    rows.append(org("late", "nowhere"))
    with pytest.raises(CommandError, match="line 23"):
        import_orgs(orgs_csv(rows))
    assert database_snapshot() == before


def test_a_dry_run_says_what_would_change_and_writes_nothing(people, orgs_csv):
    before = database_snapshot()
    rows = [org("org-emea", "org-americas", name="EMEA"), org("new", "org-emea")]
    output = import_orgs(orgs_csv(rows), "--dry-run")
    assert "orgs: 1 created, 1 updated, 0 unchanged" in output
    assert "Paths to redo for 2 orgs the file does not list." in output
    assert "Dry run, nothing written." in output
    assert database_snapshot() == before


def test_a_big_tree_is_written_in_bulk(db, orgs_csv, django_assert_max_num_queries):
    # 3,000 orgs three levels deep, listed leaves first: a few dozen queries, not one
    # save (and subtree walk) per org. (The run log's few are in it: looking for runs
    # whose process died, writing the run, and the last refresh, whose data's age an org
    # tree keeps; and the after-refresh pipeline's: the
    # snapshot (with its removed orgs' paths, snapshots.follow_ancestors), warming, and
    # the webhook step's two, which finds no endpoint; the audit log's two events,
    # started and finished, eight each. On SQLite the import, the snapshot and the warm
    # each take the write lock first, and the run's connection is told to wait for
    # another run's, once before the audit's started event and once more for the warm:
    # accounts.locks. On this fresh database the audit's first event makes the chain's
    # head and then locks it, one UPDATE more: accounts.audit.chain.head_for_update.)
    rows = [org("root")] + [org(f"region-{n}", "root") for n in range(30)]
    rows += [org(f"dept-{n}", f"region-{n % 30}") for n in range(2969)]
    with django_assert_max_num_queries(77):
        import_orgs(orgs_csv(list(reversed(rows))))
    assert Org.objects.count() == 3000
    assert_paths_true()


def test_a_status_column_sets_each_orgs_status_and_none_keeps_it(db, orgs_csv):
    """The vendor's org status (spec section 1), which the sync writes into the file: the
    mirror kept its own whatever the vendor said (2026-12-06)."""
    with_status = (*COLUMNS, "status")
    rows = [org("acme") | {"status": "Active"}, org("lab") | {"status": "Deactivated"}]
    assert "2 created" in import_orgs(orgs_csv(rows, columns=with_status))
    assert Org.objects.get(org_uid="lab").status == Org.Status.DEACTIVATED
    rows = [org("acme") | {"status": "deactivated"}, org("lab") | {"status": ""}]
    assert "1 updated, 1 unchanged" in import_orgs(orgs_csv(rows, columns=with_status))
    statuses = dict(Org.objects.values_list("org_uid", "status"))
    assert statuses == {"acme": "Deactivated", "lab": "Deactivated"}  # an empty cell: kept
    assert "0 updated, 2 unchanged" in import_orgs(orgs_csv([org("acme"), org("lab")]))
    assert dict(Org.objects.values_list("org_uid", "status")) == statuses  # no column: kept


def test_a_bad_status_is_named_by_line_and_column(db, orgs_csv):
    rows = [org("acme") | {"status": "Active"}, org("lab") | {"status": "Gone"}]
    path = orgs_csv(rows, columns=(*COLUMNS, "status"))
    with pytest.raises(CommandError, match=r'line 3, column status: "Gone" is not one of'):
        import_orgs(path)
    assert not Org.objects.exists()


def test_an_org_file_separated_by_semicolons_is_said_so(db, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("orgUid;orgName;orgExtRef;parentOrgUid\r\na;A;;\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 1: the columns are separated by semicolons"):
        import_orgs(path)
    assert not Org.objects.exists()
