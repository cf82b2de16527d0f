"""Case-insensitive lookups give the same answers on SQLite as on PostgreSQL, in any
alphabet (backupreport.sqlite): Django's SQLite backend folded ASCII only."""

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat

from accounts.models import Org
from tests.factories import OrgFactory


@pytest.fixture
def orgs(db):
    OrgFactory(org_uid="org-muenchen", name="München", ext_ref="ÖST-7")
    OrgFactory(org_uid="org-athens", name="Αθήνα", ext_ref="GR-1")
    OrgFactory(org_uid="org-paris", name="Paris", ext_ref="FR-1")


@pytest.mark.parametrize(
    ("lookup", "typed", "found"),
    [
        ("iexact", "MÜNCHEN", {"München"}),
        ("iexact", "αθήνα", {"Αθήνα"}),
        ("icontains", "ÜNCH", {"München"}),
        ("icontains", "ΘΉΝ", {"Αθήνα"}),
        ("icontains", "pAr", {"Paris"}),
        ("istartswith", "mün", {"München"}),
        ("iendswith", "ΉΝΑ", {"Αθήνα"}),
        ("icontains", "%", set()),  # still a literal, not LIKE's wildcard
        ("iexact", "münche_", set()),
    ],
)
def test_case_insensitive_lookups_fold_every_alphabet(orgs, lookup, typed, found):
    names = Org.objects.filter(**{f"name__{lookup}": typed}).values_list("name", flat=True)
    assert set(names) == found


def test_a_lookup_against_another_column_folds_both(orgs):
    """The pattern form (a column on the right, Django's pattern_ops)."""
    lowered = Org.objects.annotate(typed=Concat(Value("Ü"), Value("NCH")))
    assert set(lowered.filter(name__icontains=F("typed")).values_list("name", flat=True)) == {
        "München"
    }
    assert Org.objects.filter(ext_ref__iexact="öst-7").count() == 1
