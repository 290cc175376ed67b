#!/usr/bin/env python3
"""Checks of the monitoring stack's files that neither checkov nor promtool knows about.

Usage: check_monitoring.py [--app-metrics SCRAPE.txt] [REPO_DIR]   (default: the repository)

1. Dashboards (monitoring/dashboards/*.json): each parses, has a unique uid and a title,
   unique panel ids, a Prometheus or CloudWatch datasource on every panel and target, and
   defines every $variable its queries use.
2. Every Prometheus query of a dashboard and every expression of the alert rules
   (monitoring/alerts/*.rules.yml) names only metrics that exist: the app's
   (monitoring/metrics/postech-app.txt, the contract with postech-app), the exporters'
   (monitoring/metrics/exporters.txt, reviewed against their sources) or a recording rule's.
   Every CloudWatch query names a metric of monitoring/metrics/cloudwatch.txt.
3. With --app-metrics (a scrape of a running app's /metrics, Prometheus text format): every
   metric of the contract is exposed by the app, with its type and its labels.
4. Helm values (terraform/monitoring/values/*.yaml): every container the charts run has CPU
   and memory requests and limits, and every volume claim uses the encrypted StorageClass.

Prints each failure and a summary (not in the "N passed, M failed" shape the root sums).
Needs PyYAML.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

DATASOURCES = {"prometheus": "prometheus", "cloudwatch": "cloudwatch"}
ENCRYPTED_STORAGE_CLASS = "gp3-encrypted"
PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "atan2", "inf", "nan", "start", "end",
}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
GRAFANA_BUILTINS = re.compile(r"^__")

# Where each chart runs a container, in its values file: each needs requests and limits.
RESOURCE_PATHS = {
    "kube-prometheus-stack.yaml": [
        "prometheusOperator.resources",
        "prometheusOperator.admissionWebhooks.patch.resources",
        "prometheusOperator.prometheusConfigReloader.resources",
        "prometheus.prometheusSpec.resources",
        "alertmanager.alertmanagerSpec.resources",
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
    ],
    "opentelemetry-collector.yaml": ["resources"],
    "jaeger.yaml": ["jaeger.resources"],
    "fluent-bit.yaml": ["resources"],
}


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, keywords or labels)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expression)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        before = text[match.start() - 1] if match.start() else " "
        if before.isdigit() or before in ".$":
            continue  # part of a number (1e3, 5m) or a Grafana variable
        if text[match.end():].lstrip().startswith("("):
            continue  # a function
        if match[0].lower() in PROMQL_KEYWORDS:
            continue
        names.add(match[0])
    return names


def read_table(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append(line.split())
    return rows


def expand(name: str, kind: str) -> set[str]:
    return {name} | {name + suffix for suffix in SUFFIXES.get(kind, ())}


def parse_exposition(text: str) -> tuple[dict[str, str], dict[str, set[frozenset[str]]]]:
    """Metric family types and the label-name sets of their samples, from a /metrics scrape."""
    types: dict[str, str] = {}
    labels: dict[str, set[frozenset[str]]] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            types[name] = kind.strip()
        elif line and not line.startswith("#"):
            match = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s", line)
            if match:
                names = frozenset(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="', match[2] or ""))
                labels.setdefault(match[1], set()).add(names)
    return types, labels


class MonitoringChecker:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.monitoring = repo / "monitoring"
        self.passed = 0
        self.failures: list[str] = []
        self.contract = {row[0]: (row[1], row[2].split(",") if len(row) > 2 else []) for row in read_table(self.monitoring / "metrics" / "postech-app.txt")}
        self.exporters = {row[0]: row[1] for row in read_table(self.monitoring / "metrics" / "exporters.txt")}
        self.cloudwatch = {(row[0], row[1]) for row in read_table(self.monitoring / "metrics" / "cloudwatch.txt")}
        self.rule_files = sorted((self.monitoring / "alerts").glob("*.rules.yml"))
        self.recorded = {
            rule["record"]
            for path in self.rule_files
            for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
            for rule in group["rules"]
            if "record" in rule
        }
        self.known = set(self.recorded)
        for name, (kind, _) in self.contract.items():
            self.known |= expand(name, kind)
        for name, kind in self.exporters.items():
            self.known |= expand(name, kind)

    def check(self, ok: bool, message: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)

    def check_expression(self, expression: str, where: str, constant_allowed: bool = False) -> None:
        names = metric_names(expression)
        constant = constant_allowed and re.fullmatch(r"\s*vector\([0-9.]+\)\s*", expression) is not None
        self.check(bool(names) or constant, f"{where}: the query names no metric: {expression!r}")
        for name in sorted(names):
            self.check(
                name in self.known,
                f"{where}: {name} is neither an app metric (metrics/postech-app.txt), a reviewed exporter metric "
                "(metrics/exporters.txt) nor a recording rule",
            )

    def check_rules(self) -> None:
        self.check(bool(self.rule_files), "no alert rule files under monitoring/alerts")
        for path in self.rule_files:
            for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule.get("record")
                    # A recording rule may hold a constant (the latency objectives).
                    self.check_expression(rule["expr"], f"{path.name}: {name}", constant_allowed="record" in rule)

    def check_dashboards(self) -> None:
        files = sorted((self.monitoring / "dashboards").glob("*.json"))
        self.check(len(files) >= 3, "fewer than three dashboards under monitoring/dashboards")
        uids: set[str] = set()
        for path in files:
            try:
                board = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                self.check(False, f"{path.name}: not JSON: {error}")
                continue
            uid = board.get("uid", "")
            self.check(bool(uid) and uid not in uids, f"{path.name}: uid {uid!r} missing or not unique")
            uids.add(uid)
            self.check(bool(board.get("title")), f"{path.name}: no title")
            self.check(isinstance(board.get("schemaVersion"), int), f"{path.name}: no schemaVersion")
            variables = {variable["name"]: variable for variable in board.get("templating", {}).get("list", [])}
            for name, variable in variables.items():
                if variable.get("type") == "query" and variable.get("datasource", {}).get("uid") == "cloudwatch":
                    query = variable.get("query", {})
                    self.check(
                        (query.get("namespace"), query.get("metricName")) in self.cloudwatch,
                        f"{path.name}: variable {name} lists dimensions of an unknown CloudWatch metric",
                    )
            panels = [panel for top in board.get("panels", []) for panel in [top, *top.get("panels", [])]]
            ids = [panel.get("id") for panel in panels]
            self.check(len(ids) == len(set(ids)) and None not in ids, f"{path.name}: panel ids missing or repeated")
            for panel in panels:
                if panel.get("type") in ("row", "text"):
                    continue
                self.check_panel(path.name, panel, variables)

    def check_panel(self, board: str, panel: dict, variables: dict) -> None:
        where = f"{board}: panel {panel.get('title')!r}"
        datasource = panel.get("datasource", {})
        kind = datasource.get("type")
        self.check(
            kind in DATASOURCES and datasource.get("uid") == DATASOURCES[kind],
            f"{where}: datasource {datasource} is not the provisioned Prometheus or CloudWatch",
        )
        targets = panel.get("targets", [])
        self.check(bool(targets), f"{where}: no query")
        ref_ids = [target.get("refId") for target in targets]
        self.check(len(ref_ids) == len(set(ref_ids)), f"{where}: repeated refId")
        for target in targets:
            self.check(target.get("datasource", datasource) == datasource, f"{where}: a target uses another datasource")
            # $var, ${var}; not CloudWatch's label macros such as ${PROP('Dim.FunctionName')}.
            used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_(])", json.dumps(target)))
            for name in sorted(used):
                self.check(
                    bool(GRAFANA_BUILTINS.match(name)) or name in variables,
                    f"{where}: uses ${name}, which the dashboard does not define",
                )
            if kind == "prometheus":
                self.check_expression(target.get("expr", ""), where)
            elif kind == "cloudwatch":
                pair = (target.get("namespace"), target.get("metricName"))
                self.check(pair in self.cloudwatch, f"{where}: CloudWatch metric {pair} is not in metrics/cloudwatch.txt")
                self.check(bool(target.get("dimensions")), f"{where}: CloudWatch query {pair} has no dimensions (it would sum the account)")

    def check_scrape(self, scrape: Path) -> None:
        types, labels = parse_exposition(scrape.read_text(encoding="utf-8"))
        for name, (kind, wanted) in sorted(self.contract.items()):
            family = name[: -len("_total")] if kind == "counter" and name.endswith("_total") and name not in types else name
            self.check(family in types, f"the app does not expose {name} (contract: metrics/postech-app.txt)")
            if family not in types:
                continue
            self.check(types[family] == kind, f"the app exposes {name} as a {types[family]}, the contract says {kind}")
            sample = name + "_count" if kind == "histogram" else name
            seen = labels.get(sample, set())
            self.check(
                frozenset(wanted) in seen,
                f"the app's {sample} samples carry labels {sorted(map(sorted, seen))}, the contract says {wanted}",
            )

    def check_values(self) -> None:
        values_dir = self.repo / "terraform" / "monitoring" / "values"
        for file_name, paths in RESOURCE_PATHS.items():
            path = values_dir / file_name
            document = yaml.safe_load(re.sub(r"\$\{[a-z_]+\}", "x", path.read_text(encoding="utf-8")))
            for dotted in paths:
                node = document
                for key in dotted.split("."):
                    node = node.get(key, {}) if isinstance(node, dict) else {}
                for bound in ("requests", "limits"):
                    self.check(
                        {"cpu", "memory"} <= set(node.get(bound, {})),
                        f"values/{file_name}: {dotted} has no cpu and memory {bound}",
                    )
            for claim_class in self.storage_classes(document):
                self.check(
                    claim_class == ENCRYPTED_STORAGE_CLASS,
                    f"values/{file_name}: a volume claim uses storage class {claim_class!r}, not {ENCRYPTED_STORAGE_CLASS}",
                )

    def storage_classes(self, node: object):
        if isinstance(node, dict):
            if "accessModes" in node or "volumeClaimTemplate" in node:
                spec = node.get("volumeClaimTemplate", {}).get("spec", node)
                yield spec.get("storageClassName")
            for value in node.values():
                if not (isinstance(value, dict) and "spec" in value and "accessModes" in value.get("spec", {})):
                    yield from self.storage_classes(value)
        elif isinstance(node, list):
            for item in node:
                yield from self.storage_classes(item)

    def run(self, scrape: Path | None) -> int:
        self.check_rules()
        self.check_dashboards()
        self.check_values()
        if scrape is not None:
            self.check_scrape(scrape)
        for failure in self.failures:
            print(f"FAILED {failure}")
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"monitoring checks: {len(self.failures)} of {total} checks FAILED")
            return 1
        source = f", app metrics compared with {scrape}" if scrape else ""
        print(f"monitoring checks: all {total} checks passed{source}")
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-metrics", type=Path, help="a scrape of the app's /metrics to compare the contract with")
    parser.add_argument("repo", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    arguments = parser.parse_args()
    sys.exit(MonitoringChecker(arguments.repo.resolve()).run(arguments.app_metrics))
