"""The benchmark's results as a Markdown table, with the issue's targets beside them."""

from __future__ import annotations

import datetime as dt
import platform
import statistics
import subprocess

# The targets of the [scale] issue, per section, in milliseconds.
TARGET_MS = {"a": 100, "b": 100, "c": 100, "e": 300, "h": 100, "j": 300, "l": 100}
DIGESTS_TARGET_SECONDS = 600  # every manager's digest at 1,000,000 devices ([notify])
SUBSCRIPTIONS_TARGET_SECONDS = 900  # every manager's weekly subscription (issue 31)
SUBSCRIPTIONS_TARGET_MB = 300  # the sender's peak memory (issue 31)
SNAPSHOT_TARGET_MS = 60_000  # the daily snapshot at 1,000,000 devices (the [history] issue)
SECTIONS = {
    "a": "a. API first page (pgSize=100)",
    "b": "b. API searches (pgSize=100)",
    "c": "c. a deep page of a sorted query",
    "e": "e. the overview and the five report pages",
    "f": "f. the peer: the Django admin change list on the same search",
    "h": "h. the vendor's read resources (pycpg, crashplancli): first pages (pgSize=100), lookups",
    "k": "k. every org manager's digest, sent to a local SMTP sink",
    "j": "j. history: the daily snapshot, the overview with its trend, compliance by org;"
    " the first visit after new data",
    "l": "l. the Prometheus scrape, /metrics (the stored figures, by org down to"
    " METRICS_ORG_DEPTH)",
    "m": "m. every org manager's weekly subscription of a stale-device view, sent to a local"
    " SMTP sink",
}


# The server's settings that move section i most (the report rows' index writes,
# bench/results/2026-12-04-fastsync-tuned-1m.md): written beside the figures.
SERVER_SETTINGS = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "work_mem")


def _postgres_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        shown = []
        for name in SERVER_SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name} {cursor.fetchone()[0]}")
    return ", ".join(shown)


def _postgres_version() -> str:
    try:
        return subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return "-"


def _wrk_figures(found: dict[str, str]) -> str:
    return (
        f"{found.get('requests', '?')} requests, {found['rps']} requests/s,"
        f" p50 {found.get('50%', '?')}, p99 {found.get('99%', '?')},"
        f" errors: {found['errors'].strip()}"
    )


class Results:
    def __init__(self, args, sample, on_postgres: bool):
        self.args, self.sample, self.on_postgres = args, sample, on_postgres
        self.timings: dict[str, list] = {key: [] for key in SECTIONS}
        self.export_runs: list[tuple[int, int, int, float]] = []
        self.extended_export_runs: list[tuple[int, int, int, float]] = []
        self.export_peak_mb = 0.0
        self.reference_runs: list[tuple[int, float]] = []
        self.extended_reference_runs: list[tuple[int, float]] = []
        self.raw_reference_runs: list[tuple[int, float]] = []
        self.load: dict[str, str] = {}
        self.load_warm_up: dict[str, str] = {}
        self.load_reference: dict[str, str] = {}
        self.load_uncached: dict[str, str] = {}
        self.ratio_rounds: list[tuple[dict[str, str], dict[str, str]]] = []  # (reference, API)
        self.ratio_round_seconds = 0
        self.reference_bytes = 0
        self.imports: list = []  # import_timings.ImportTiming
        self.first_import = None
        self.load_during_sync: dict | None = None  # import_timings.load_during_sync
        self.digests: dict = {}  # digest_timings.measure()
        self.subscriptions: dict = {}  # subscription_timings.measure()

    def add(self, section: str, timing) -> None:
        self.timings[section].append(timing)

    def _verdict(self, section: str, median_ms: float, label: str = "") -> str:
        target = TARGET_MS.get(section)
        if label.startswith("daily snapshot"):  # seconds, beside the pages' milliseconds
            target = SNAPSHOT_TARGET_MS
        if target is None:
            return ""
        return "yes" if median_ms <= target else f"**no** (> {target} ms)"

    def _section(self, section: str) -> list[str]:
        lines = [f"### {SECTIONS[section]}", ""]
        if not self.timings[section]:
            return lines + ["not measured", ""]
        lines += [
            "| request | median ms | min | max | bytes | target met |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for t in self.timings[section]:
            lines.append(
                f"| `{t.label}` | {t.median_ms:.1f} | {t.min_ms:.1f} | {t.max_ms:.1f} "
                f"| {t.size:,} | {self._verdict(section, t.median_ms, t.label)} |"
            )
        return lines + [""]

    def _export(self) -> list[str]:
        lines = ["### d. CSV export of every row, as a system administrator", ""]
        if not self.export_runs:
            return lines + ["not measured", ""]
        seconds = [run[3] for run in self.export_runs]
        rows = self.export_runs[0][2] - 1
        median = statistics.median(seconds)
        lines += [
            f"- export: median {median:.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}),"
            f" {self.export_runs[0][1]:,} bytes, {rows:,} lines after the header,"
            f" {rows / median:,.0f} rows/s",
            f"- gunicorn worker peak resident memory (VmHWM over the whole run):"
            f" {self.export_peak_mb:.0f} MB (target under 200 MB)",
        ]
        if self.reference_runs:
            reference = [run[1] for run in self.reference_runs]
            ratio = median / statistics.median(reference)
            same = (
                "the same" if self.reference_runs[0][0] == self.export_runs[0][1] else "**not** the"
            )
            lines += [
                "- reference, `COPY bench_reference TO STDOUT WITH (FORMAT csv, HEADER)` from a"
                " plain table holding the report's rows as the export writes them:"
                f" median {statistics.median(reference):.2f} s (min {min(reference):.2f},"
                f" max {max(reference):.2f}), {self.reference_runs[0][0]:,} bytes"
                f" ({same} byte count as the export)",
                f"- ratio export / reference: **{ratio:.2f}** (target at most 1.5)",
            ]
        lines += self._extended_export()
        if self.raw_reference_runs:
            raw = statistics.median(run[1] for run in self.raw_reference_runs)
            lines += [
                f"- for comparison, `COPY bench_reference_raw` (the raw columns, no encoding):"
                f" median {raw:.2f} s, {self.raw_reference_runs[0][0]:,} bytes;"
                f" export / raw: {median / raw:.2f}",
            ]
        else:
            lines.append("- reference COPY: PostgreSQL only")
        return lines + [""]

    def _extended_export(self) -> list[str]:
        """The same export with extraColumns=true, beside its own plain-table reference."""
        if not self.extended_export_runs:
            return []
        seconds = statistics.median(run[3] for run in self.extended_export_runs)
        size = self.extended_export_runs[0][1]
        line = f"- with `extraColumns=true` (37 columns): median {seconds:.2f} s, {size:,} bytes"
        if self.extended_reference_runs:
            reference = statistics.median(run[1] for run in self.extended_reference_runs)
            same = "the same" if self.extended_reference_runs[0][0] == size else "**not** the"
            line += (
                f"; `COPY bench_reference_extended` median {reference:.2f} s ({same} byte"
                f" count); ratio **{seconds / reference:.2f}** (target at most 1.5)"
            )
        return [line]

    def _peer(self) -> list[str]:
        lines = self._section("f")
        found = {t.label.split(" ")[0]: t for t in self.timings["f"]}
        admin = found.get("admin")
        if admin:
            for name in ("API", "search"):
                if name in found:
                    ratio = admin.median_ms / found[name].median_ms
                    lines.append(f"- admin / {name}: **{ratio:.1f}x** faster (target at least 5x)")
        return lines + [""]

    def _load(self) -> list[str]:
        lines = ["### g. load: wrk against the API first page, 16 connections", ""]
        if self.reference_bytes:
            lines.append(
                f"- reference page (the API's first page, {self.reference_bytes:,} bytes) served"
                " from memory by the same gunicorn at /bench/reference-page"
            )
        if "rps" not in self.load:
            return lines + [self.load.get("note", "not measured"), ""]
        lines.append(
            f"- {self.args.load_seconds} s: {_wrk_figures(self.load)} (target: no errors,"
            " p99 under 500 ms)"
        )
        if "rps" in self.load_warm_up:
            lines.append(
                f"- before it, not counted, a warm-up in which each worker checks the"
                f" password once: {_wrk_figures(self.load_warm_up)}"
            )
        uncached = self.load_uncached
        if "rps" in uncached:
            kept = "kept pages (on PostgreSQL)" if self.on_postgres else "no page cache (SQLite)"
            lines.append(
                f"- the run above answers from the page cache: {kept}. The same load with"
                f" the cache bypassed (`Cache-Control: no-cache`: every page validated and"
                f" read, as a page not asked since the last write is): {_wrk_figures(uncached)}"
            )
        reference = self.load_reference
        if "rps" in reference:
            lines.append(
                f"- reference, the same page's bytes from memory on the same gunicorn (the"
                f" web stack's ceiling): {_wrk_figures(reference)}"
            )
            lines.append(f"- ratio API / reference, these two runs: {self._ratio(self.load)}")
            if "rps" in uncached:
                lines.append(
                    f"- ratio API with the cache bypassed / reference: **{self._ratio(uncached)}**"
                )
        lines += self._ratio_rounds()
        return lines + [""]

    def _ratio(self, load: dict[str, str]) -> str:
        reference = float(self.load_reference["rps"])
        if not reference:  # a machine so busy that wrk saw no answer in the run
            return "not measured (the reference served no request)"
        return f"{float(load.get('rps', 0)) / reference:.2f}"

    def _ratio_rounds(self) -> list[str]:
        rounds = [
            (r, a) for r, a in self.ratio_rounds if "rps" in r and "rps" in a and float(r["rps"])
        ]
        if not rounds:
            if not self.ratio_rounds:
                return []
            return [
                "- ratio API / reference, median of the rounds: not measured (no round's"
                " reference served a request: the machine was too busy)"
            ]
        ratios = [float(api["rps"]) / float(reference["rps"]) for reference, api in rounds]
        each = "; ".join(
            f"{reference['rps']} / {api['rps']} requests/s, p99 {api.get('99%', '?')}: {ratio:.2f}"
            for (reference, api), ratio in zip(rounds, ratios, strict=True)
        )
        return [
            f"- the ratio in {len(rounds)} rounds of {self.ratio_round_seconds} s that"
            " alternate the reference and the API, so that a change in this machine's speed"
            f" falls on both alike (reference / API, ratio): {each}",
            f"- ratio API / reference, median of the rounds: **{statistics.median(ratios):.2f}**"
            " of the stack's ceiling (target at least 0.5)",
        ]

    def _imports(self) -> list[str]:
        import import_timings  # Django's models: imported once the benchmark set it up

        lines = [
            "### i. import and sync: the sync's mirror import, beside COPY of the same file",
            "",
        ]
        if not self.imports:
            return lines + ["not measured", ""]
        lines += [
            "The fleet's own 37-column export (what the sync downloads) and its org tree,"
            " applied as the sync applies them (read_files, apply_files in mirror mode, one"
            " transaction); the 1% sync and its change back"
            f" {import_timings.SMALL_SYNC_RUNS} times each in turn (their medians below"
            " the table), the others once. Reference: `COPY ... FROM STDIN WITH (FORMAT csv,"
            " HEADER)` of the same file into a plain table of 37 text columns, no index: the median"
            " of three, just before the sync.",
            "",
            "| sync | seconds | reference COPY s | ratio import / reference | bytes"
            " | created | updated | removed | unchanged | peak MB | phases (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for t in self.imports:
            if t.reference_seconds:
                reference = f"{t.reference_seconds:.2f}"
                ratio = f"**{t.seconds / t.reference_seconds:.1f}**"
            else:
                reference = ratio = "-"
            n = t.totals
            lines.append(
                f"| {t.label} | {t.seconds:.2f} | {reference} | {ratio} | {t.size:,}"
                f" | {n['created']:,} | {n['updated']:,} | {n['removed']:,}"
                f" | {n['unchanged']:,} | {t.peak_mb:.0f} | {t.phases} |"
            )
        lines.append("")
        for label, runs, seconds, ratio in import_timings.medians(self.imports):
            against = f", **{ratio:.1f}x** the reference (median of the ratios)" if ratio else ""
            lines.append(f"- {label}, the median of {runs} runs: {seconds:.2f} s{against}")
        first = self.first_import
        if first is not None:
            changed = first.totals["updated"] + first.totals["created"] + first.totals["removed"]
            lines.append(
                f"- before them, not in the table, the same sync once to make the fleet equal"
                f" its export: {first.seconds:.2f} s, {changed:,} rows changed"
                " (generate_demo_data writes coldStorageExpireDate to the microsecond, the"
                " export to the millisecond; 0 on a fleet a previous run restored)"
            )
        if not self.imports[0].reference_seconds:
            lines.append("- reference COPY: PostgreSQL only")
        if self.extended_export_runs:
            download = statistics.median(run[3] for run in self.extended_export_runs)
            lines.append(
                f"- the sync's download, over HTTP: section d's `extraColumns=true` export,"
                f" median {download:.2f} s"
            )
        lines.append(
            "- changed rows are counted in every table (archives, devices, users, orgs...),"
            " so one moved date may count more than once"
        )
        lines.append(
            "- peak MB: the importing process's peak resident memory (VmHWM), each import"
            " run in a process of its own (bench/sync_import.py)"
        )
        return lines + self._load_during_sync() + [""]

    def _load_during_sync(self) -> list[str]:
        during = self.load_during_sync
        if not during:
            return []
        alone, busy = during["alone"], during["during"]
        if "rps" not in alone or "rps" not in busy:
            return [f"- the API's load during a sync: not measured ({alone.get('note')})"]
        slower = float(alone["rps"]) / float(busy["rps"])
        return [
            "",
            f"The API's load (section g's request, wrk 16 connections) for {during['seconds']} s"
            " alone, then as long again while a sync applies every date back (the export"
            " itself after the every-dates-moved one)"
            f" (it took {during['sync_seconds']:.1f} s; the load started with it):",
            "",
            "| | requests/s | median | 99% | errors |",
            "|---|---:|---:|---:|---|",
            f"| without a sync | {alone['rps']} | {alone.get('50%')} | {alone.get('99%')}"
            f" | {alone['errors'].strip()} |",
            f"| during a sync | {busy['rps']} | {busy.get('50%')} | {busy.get('99%')}"
            f" | {busy['errors'].strip()} |",
            "",
            f"- during a sync the API is **{slower:.2f}x** slower in requests/s (target at"
            " most 2x)",
        ]

    def _digests(self) -> list[str]:
        lines = [f"### {SECTIONS['k']}", ""]
        d = self.digests
        if not d:
            return lines + ["not measured", ""]
        verdict = "yes" if d["elapsed_seconds"] <= DIGESTS_TARGET_SECONDS else "**no**"
        return lines + [
            f"- {d['digests_sent']:,} digests sent ({d['digests_failed']:,} failed) to"
            f" {d['managers']:,} org managers, one for every org, in"
            f" **{d['elapsed_seconds']:.1f} s** (target at most {DIGESTS_TARGET_SECONDS} s:"
            f" {verdict}), {d['elapsed_seconds'] / max(d['digests_sent'], 1) * 1000:.0f} ms each",
            f"- the sender's peak resident memory: {d['peak_rss_mb']:.0f} MB",
            "- what is timed: bench/digest_timings.py, `send_digests` as `send_notifications`"
            " runs it (content queries, the send log, the SMTP conversation with an aiosmtpd"
            " sink in a process of its own); the managers it made are removed after",
            "",
        ]

    def _subscriptions(self) -> list[str]:
        lines = [f"### {SECTIONS['m']}", ""]
        d = self.subscriptions
        if not d:
            return lines + ["not measured", ""]
        in_time = d["elapsed_seconds"] <= SUBSCRIPTIONS_TARGET_SECONDS
        small = d["peak_rss_mb"] < SUBSCRIPTIONS_TARGET_MB
        return lines + [
            f"- {d['sent']:,} subscription emails sent ({d['failed']:,} failed) to"
            f" {d['managers']:,} org managers, each the stale devices of their reach as XLSX"
            f" (or the signed link past the limit), in **{d['elapsed_seconds']:.1f} s**"
            f" (target at most {SUBSCRIPTIONS_TARGET_SECONDS} s: {'yes' if in_time else '**no**'}),"
            f" {d['elapsed_seconds'] / max(d['sent'], 1) * 1000:.0f} ms each",
            f"- the sender's peak resident memory: **{d['peak_rss_mb']:.0f} MB** (target under"
            f" {SUBSCRIPTIONS_TARGET_MB} MB: {'yes' if small else '**no**'})",
            "- what is timed: bench/subscription_timings.py, `send_subscriptions` as"
            " `send_notifications` runs it; the view, its send log and the managers it made"
            " are removed after",
            "",
        ]

    def _sections_argument(self) -> str:
        wanted = self.args.sections
        return "" if wanted == "abcdefghijklm" else f" --sections {wanted}"

    def markdown(self) -> str:
        s = self.sample
        database = "PostgreSQL" if self.on_postgres else "SQLite"
        lines = [
            f"# Benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"- fleet: {s.devices:,} devices, {s.rows:,} report rows, on {database}"
            f" ({_postgres_version() if self.on_postgres else 'embedded'}); {s.orgs:,} orgs,"
            f" {s.history_days:,} days of health history",
            *([f"- PostgreSQL's settings: {_postgres_settings()}"] if self.on_postgres else []),
            f"- server: gunicorn, 5 gthread workers x 2 threads, DJANGO_DEBUG=0;"
            f" machine: {platform.machine()}, Python {platform.python_version()}",
            f"- each figure: the median of {self.args.runs} runs after one warm-up, over HTTP"
            " on loopback",
            f"- the org manager manages {s.manager_org} ({s.manager_rows:,} rows)",
            f"- reproduce: `make bench` (or `.venv/bin/python bench/run.py --devices {s.devices}"
            f"{self._sections_argument()}`)",
            "",
        ]
        for section in ("a", "b", "c"):
            lines += self._section(section)
        lines += self._export()
        lines += self._section("e")
        lines += self._peer()
        lines += self._load()
        lines += self._section("h")
        lines += self._imports()
        lines += self._section("j")
        lines += self._section("l")
        lines += self._digests()
        lines += self._subscriptions()
        return "\n".join(lines)
