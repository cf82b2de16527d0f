"""The shipped Prometheus alert rules and Grafana dashboard (deploy/): promtool checks
and tests the rules; every metric either names is one /metrics writes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from reports.integrations.exposition import SERIES_NAMES
from tests.prometheus_support import PROMTOOL, needs_promtool

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "backupreport-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "backupreport-rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "backupreport-dashboard.json"
METRIC = re.compile(r"\bbackupreport_[a-z_]+\b")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROMTOOL, *args], cwd=RULES.parent, capture_output=True, text=True, timeout=120
    )


@needs_promtool
def test_promtool_checks_the_rules():
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout


@needs_promtool
def test_each_alert_fires_on_made_up_series():
    tested = promtool("test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }
    assert (
        fired
        == alerts
        == {
            "BackupReportDataStale",
            "BackupReportCriticalShareHigh",
            "BackupReportSyncFailing",
            "BackupReportMetricsAbsent",
            "BackupReportWebhookGaveUp",
        }
    )


@needs_promtool
def test_promtool_fails_a_rule_over_a_broken_expression(tmp_path):
    """The check above can fail: promtool does read the expressions."""
    broken = tmp_path / "broken.yml"
    broken.write_text(RULES.read_text().replace("== 1", "== =", 1))
    checked = subprocess.run(
        [PROMTOOL, "check", "rules", str(broken)], capture_output=True, text=True
    )
    assert checked.returncode != 0


def test_the_rules_name_only_metrics_that_exist():
    named = set(METRIC.findall(RULES.read_text()))
    assert named and named <= set(SERIES_NAMES), named - set(SERIES_NAMES)


def dashboard_targets() -> list[dict]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target for panel in dashboard["panels"] for target in panel["targets"]]


def dashboard_expressions() -> list[str]:
    """The panels' queries and the variables' (label_values of a metric)."""
    variables = json.loads(DASHBOARD.read_text())["templating"]["list"]
    asked = [variable["definition"] for variable in variables if variable["type"] == "query"]
    return [target["expr"] for target in dashboard_targets()] + asked


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


GROUPED_BY = re.compile(r"\bby\s*\(([^)]*)\)")


def test_what_groups_by_an_orgs_name_keeps_the_org_too():
    """Two orgs of one name (an Accounting under EMEA and one under Americas) were one
    line of the dashboard's per-org panels, summed (`by (org_name)`; found by an audit),
    where the alert rule groups `by (org, org_name)`. A legend naming the org says which."""
    expressions = dashboard_expressions() + rule_expressions()
    groupings = [
        {label.strip() for label in labels.split(",")}
        for expr in expressions
        for labels in GROUPED_BY.findall(expr)
    ]
    by_name = [labels for labels in groupings if "org_name" in labels]
    assert len(by_name) >= 5  # two panels (one of them a ratio) and the alert's ratio
    assert all("org" in labels for labels in by_name), by_name
    legends = [t.get("legendFormat", "") for t in dashboard_targets()]
    named = [legend for legend in legends if "{{org_name}}" in legend]
    assert named and all("{{org}}" in legend for legend in named), named


def test_the_dashboard_parses_and_names_only_metrics_that_exist():
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    named = {name for expr in expressions for name in METRIC.findall(expr)}
    assert named <= set(SERIES_NAMES), named - set(SERIES_NAMES)
    # What an admin looks at first is on it.
    assert {
        "backupreport_devices",
        "backupreport_fleet_devices",
        "backupreport_data_as_of_timestamp_seconds",
        "backupreport_archive_bytes",
        "backupreport_runs_total",
        "backupreport_webhook_deliveries_total",
    } <= named


def test_a_misspelt_metric_would_be_caught():
    assert not {"backupreport_device"} <= set(SERIES_NAMES)
    assert "backupreport_runs" not in SERIES_NAMES  # a counter's series is _total
