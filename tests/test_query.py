"""The report query on its own, as the dashboards call it (spec section 3's grammar)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from reports.query import InvalidParameters, report_query


def test_it_takes_a_plain_dict(personas):
    query = report_query(
        {"srtKey": "archiveBytes", "srtDir": "DESC", "pgSize": "2"}, personas["sysadmin"]
    )
    assert query.sort_key == "archiveBytes"
    assert query.sort_descending
    assert query.page_size == 2
    assert query.params == {"srtKey": "archiveBytes", "srtDir": "desc", "pgNum": 1, "pgSize": 2}
    assert len(query.page()) == 2


def test_an_empty_value_counts_as_not_given(personas):
    query = report_query(QueryDict("pgNum=2&pgNum=&os="), personas["sysadmin"])
    assert query.page_number == 2
    assert "os" not in query.params


def test_a_parameter_given_twice_is_refused(personas):
    with pytest.raises(InvalidParameters) as raised:
        report_query(QueryDict("pgNum=2&pgNum=3&srtKey=nosuch"), personas["sysadmin"])
    assert set(raised.value.errors) == {"pgNum", "srtKey"}
    assert "give it once" in raised.value.errors["pgNum"]


def test_a_huge_page_number_is_an_empty_page(personas):
    query = report_query({"pgNum": "9" * 40}, personas["sysadmin"])
    assert list(query.page()) == []
    assert query.rows.count() == 5


@pytest.mark.parametrize("value", ["1_0", "١", " 1", "+1", "1.0", "0x1"])
def test_page_numbers_are_plain_digits(personas, value):
    with pytest.raises(InvalidParameters, match="pgNum"):
        report_query({"pgNum": value}, personas["sysadmin"])


def test_a_search_never_spans_two_fields(personas):
    query = report_query({"user": "alice\x1falice"}, personas["sysadmin"])
    assert query.rows.count() == 0


def test_the_role_limit_comes_first(personas):
    query = report_query({"orgUid": "org-accounting"}, personas["dave"])
    assert set(query.rows.values_list("username", flat=True)) == {"dave"}
    # An org above his, out of his reach, is as an unknown one (tests.test_api_roles).
    assert not report_query({"orgUid": "org-acme"}, personas["dave"]).rows.exists()
