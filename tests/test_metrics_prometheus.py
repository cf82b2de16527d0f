"""A real Prometheus (Debian's) scrapes /metrics of a live server, one job as a system
administrator's API client (HTTP Basic), one with an org manager's bearer token; PromQL
over its HTTP API answers the org's counts, and the manager's job holds only their
subtree's series."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from accounts import tokens
from accounts.api_clients import ApiClient
from reports.history.snapshots import take
from tests.prometheus_support import needs_prometheus, prometheus, scrape_job
from tests.test_metrics_rules import DASHBOARD

pytestmark = [needs_prometheus, pytest.mark.django_db(transaction=True)]


def test_prometheus_scrapes_and_promql_counts_an_orgs_devices(live_server, fleet):
    take()
    users = fleet["users"]
    client, secret = ApiClient.objects.create_for(users["root"], "prometheus")
    target = urlsplit(live_server.url).netloc
    admin_auth = f"    basic_auth:\n      username: {client.client_id}\n      password: {secret}"
    manager_auth = (
        f"    authorization:\n      type: Bearer\n      credentials: {tokens.issue(users['carol'])}"
    )
    jobs = [scrape_job("admin", target, admin_auth), scrape_job("manager", target, manager_auth)]
    with prometheus(jobs) as server:
        critical = server.wait_for(
            'sum(backupreport_devices{job="admin", org="org-emea", health="critical"})'
        )
        assert float(critical[0]["value"][1]) == 1  # sam's laptop in Sales, below EMEA
        print("PromQL answer:", critical)
        active = server.wait_for('sum(backupreport_devices{job="admin", org="org-emea"})')
        # EMEA: alice's, dave's two, sam's two (the personas' and the critical one).
        assert float(active[0]["value"][1]) == 5
        manager = server.wait_for('count by (org) (backupreport_devices{job="manager"})')
        assert {r["metric"]["org"] for r in manager} == {"org-americas"}
        assert server.query('up{job="admin"} == 1') and server.query('up{job="manager"} == 1')
        # The admin job sees the run log's series, the manager's does not.
        assert server.wait_for('backupreport_data_stale{job="admin"}')
        assert not server.query('backupreport_run_last_failed{job="manager"}')
        # The dashboard's "Org depth" offers the depths there are: it listed 1, 2 and 3,
        # and the per-org panels were empty at 3 with METRICS_ORG_DEPTH at 2 (its
        # default; found by an audit). Grafana's label_values() is this API call.
        variable = json.loads(DASHBOARD.read_text())["templating"]["list"][0]
        metric = variable["definition"].removeprefix("label_values(").split(",")[0]
        depths = requests.get(
            f"{server.url}/api/v1/label/depth/values",
            params={"match[]": metric + '{job="admin"}'},
            timeout=5,
        ).json()["data"]
        assert depths == [str(depth) for depth in range(1, settings.METRICS_ORG_DEPTH + 1)]
