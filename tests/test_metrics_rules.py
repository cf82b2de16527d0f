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
    assert "SUCCESS: 3 rules found" in checked.stdout


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


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


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
