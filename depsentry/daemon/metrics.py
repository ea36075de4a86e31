"""The daemon's Prometheus metrics, declared once on an injected registry (never the global
one, so tests and a second service in one process each get their own).

Labels are bounded sets only (result, kind, severity, event): never a package, an advisory or a
project name, whose numbers grow without limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from depsentry import __version__

__all__ = ["SCAN_RESULTS", "SEVERITIES", "Metrics"]

SCAN_RESULTS = ("ok", "failed", "interrupted")
SEVERITIES = ("critical", "high", "medium", "low", "unknown")
FINDING_KINDS = ("vulnerability", "update", "violation")
SCHEDULER_EVENTS = ("missed", "error", "max_instances")
DELIVERY_RESULTS = ("sent", "retried", "failed")


class Metrics:
    """Every metric the daemon exposes at /metrics."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        ns = "depsentry"
        self.info = Info("build", "depsentry version", namespace=ns, registry=r)
        self.info.info({"version": __version__})
        self.scans = Counter(
            "scans", "Project scans by result", ["result"], namespace=ns, registry=r
        )
        self.scan_duration = Histogram(
            "scan_duration_seconds",
            "Time one project scan took (checkout, read, match, store)",
            namespace=ns,
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        )
        self.findings = Gauge(
            "findings",
            "Open, untriaged findings by kind and severity",
            ["kind", "severity"],
            namespace=ns,
            registry=r,
        )
        self.last_scan_success = Gauge(
            "last_successful_scan_timestamp_seconds",
            "When a project scan last succeeded (Unix time)",
            namespace=ns,
            registry=r,
        )
        self.last_sync_success = Gauge(
            "last_successful_sync_timestamp_seconds",
            "When the advisory database was last synced successfully (Unix time)",
            namespace=ns,
            registry=r,
        )
        self.syncs = Counter(
            "advisory_syncs",
            "Advisory database syncs by result",
            ["result"],
            namespace=ns,
            registry=r,
        )
        self.advisory_records = Gauge(
            "advisory_records", "Records in the advisory database in use", namespace=ns, registry=r
        )
        self.rematch_duration = Histogram(
            "rematch_duration_seconds",
            "Time a re-match of every project's stored dependencies took after a sync",
            namespace=ns,
            registry=r,
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.queue_depth = Gauge(
            "queue_depth", "Project scans waiting for a free slot", namespace=ns, registry=r
        )
        self.in_flight = Gauge(
            "scans_in_flight", "Project scans running now", namespace=ns, registry=r
        )
        self.outbox_pending = Gauge(
            "outbox_pending", "Outbox events not yet handed to the relay", namespace=ns, registry=r
        )
        self.reloads = Counter(
            "reloads", "Configuration reloads by result", ["result"], namespace=ns, registry=r
        )
        self.scheduler_events = Counter(
            "scheduler_events", "Scheduler trouble by kind", ["event"], namespace=ns, registry=r
        )
        self.projects = Gauge("projects", "Configured projects", namespace=ns, registry=r)
        self.deliveries = Counter(
            "alert_deliveries",
            "Alert delivery attempts by result (sent, retried, failed = given up or rejected)",
            ["result"],
            namespace=ns,
            registry=r,
        )
        self.deliveries_pending = Gauge(
            "alert_deliveries_pending",
            "Alert deliveries not yet confirmed",
            namespace=ns,
            registry=r,
        )
        self.deliveries_failed = Gauge(
            "alert_deliveries_failed",
            "Alert deliveries given up (see `depsentry alerts failed`)",
            namespace=ns,
            registry=r,
        )
        self.delivery_delay = Histogram(
            "alert_delivery_delay_seconds",
            "From routing an alert to the service confirming it",
            namespace=ns,
            registry=r,
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
        )
        self.give_up_after = Gauge(
            "alert_give_up_after_seconds",
            "How long the relay retries a delivery before giving up ([alerts] give_up_after)",
            namespace=ns,
            registry=r,
        )
        # Label values exist from the start, so dashboards see zeros rather than gaps.
        for result in SCAN_RESULTS:
            self.scans.labels(result)
        for result in ("ok", "error"):
            self.syncs.labels(result)
            self.reloads.labels(result)
        for result in DELIVERY_RESULTS:
            self.deliveries.labels(result)
        for event in SCHEDULER_EVENTS:
            self.scheduler_events.labels(event)
        for kind in FINDING_KINDS:
            for severity in SEVERITIES:
                self.findings.labels(kind, severity).set(0)

    def set_findings(self, by_project: Mapping[str, Mapping[tuple[str, str], int]]) -> None:
        """Replace the findings gauge from per-project counts."""
        totals: dict[tuple[str, str], int] = {}
        for counts in by_project.values():
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + n
        for kind in FINDING_KINDS:
            for severity in SEVERITIES:
                self.findings.labels(kind, severity).set(totals.get((kind, severity), 0))
