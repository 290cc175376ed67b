#!/usr/bin/env python3
"""Unit tests of the Prometheus alerts (monitoring/alerts), run with `promtool test rules`.

Usage: test_alert_rules.py ALERTS_DIR   (default monitoring/alerts)

1. `promtool check rules` on every *.rules.yml.
2. Every test group of tests/*.test.yml runs on its own (one promtool call each), so the
   count below is per scenario and a failure names its scenario.
3. Expected annotations: an expected alert without `exp_annotations` gets the rule's own
   annotations, with `{{ $labels.<name> }}` replaced by its `exp_labels` value. promtool then
   compares them with what it rendered, so every template is exercised without being copied
   into the tests. A template using anything else must be spelled out in the test.
4. Coverage: every alert of the rule files has at least one test where it fires (non-empty
   `exp_alerts`) and one where it stays quiet (empty `exp_alerts`); a missing one is a failure.

Last line: `promtool rule tests: N passed, M failed` (the root test command sums it).
Needs promtool (Debian package `prometheus`) and PyYAML.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

LABEL_TEMPLATE = re.compile(r"\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def load_alerts(rule_files: list[Path]) -> dict[str, dict[str, str]]:
    """Alert name -> its annotations, over every rule file."""
    alerts: dict[str, dict[str, str]] = {}
    for path in rule_files:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    alerts[rule["alert"]] = rule.get("annotations", {})
    return alerts


def render(template: str, labels: dict[str, str], where: str) -> str:
    rendered = LABEL_TEMPLATE.sub(lambda match: str(labels[match[1]]), template)
    if "{{" in rendered:
        raise ValueError(f"{where}: the annotation uses more than $labels; write exp_annotations in the test")
    return rendered


def fill_annotations(group: dict, alerts: dict[str, dict[str, str]], where: str) -> None:
    for case in group.get("alert_rule_test", []):
        annotations = alerts.get(case["alertname"])
        if annotations is None:
            raise ValueError(f"{where}: tests unknown alert {case['alertname']}")
        for expected in case.get("exp_alerts") or []:
            if "exp_annotations" not in expected:
                labels = {**expected.get("exp_labels", {}), "alertname": case["alertname"]}
                expected["exp_annotations"] = {
                    name: render(text, labels, f"{where}: {case['alertname']}.{name}")
                    for name, text in annotations.items()
                }


def main(alerts_dir: Path) -> int:
    promtool = shutil.which("promtool")
    if promtool is None:
        print("test_alert_rules: promtool is not on PATH (Debian: apt-get install prometheus)", file=sys.stderr)
        print("promtool rule tests: 0 passed, 1 failed")
        return 1
    rule_files = sorted(alerts_dir.glob("*.rules.yml"))
    test_files = sorted((alerts_dir / "tests").glob("*.test.yml"))
    passed = failed = 0
    if not rule_files or not test_files:
        print(f"test_alert_rules: no rule files or no tests under {alerts_dir}")
        return 1

    for path in rule_files:
        check = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        if check.returncode != 0:
            failed += 1
            print(f"FAILED promtool check rules {path}:\n{check.stdout}{check.stderr}")

    alerts = load_alerts(rule_files)
    fires: set[str] = set()
    quiet: set[str] = set()
    with tempfile.TemporaryDirectory() as scratch:
        for test_file in test_files:
            document = yaml.safe_load(test_file.read_text(encoding="utf-8"))
            rules = [str((test_file.parent / name).resolve()) for name in document["rule_files"]]
            for index, group in enumerate(document["tests"]):
                where = f"{test_file.name}: {group.get('name', f'test {index}')}"
                try:
                    fill_annotations(group, alerts, where)
                except (KeyError, ValueError) as error:
                    failed += 1
                    print(f"FAILED {where}: {error}")
                    continue
                for case in group.get("alert_rule_test", []):
                    (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
                single = {key: value for key, value in document.items() if key != "tests"}
                single["rule_files"] = rules
                single["tests"] = [group]
                scenario = Path(scratch) / f"{test_file.stem}-{index}.yml"
                scenario.write_text(yaml.safe_dump(single, sort_keys=False), encoding="utf-8")
                run = subprocess.run([promtool, "test", "rules", str(scenario)], capture_output=True, text=True)
                if run.returncode == 0:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAILED {where}\n{run.stdout}{run.stderr}")

    for name in sorted(alerts):
        if name not in fires:
            failed += 1
            print(f"FAILED {name} has no test in which it fires")
        if name not in quiet:
            failed += 1
            print(f"FAILED {name} has no test in which it stays quiet")
    print(f"{len(alerts)} alerts, each tested firing and quiet" if not failed else f"{len(alerts)} alerts")
    print(f"promtool rule tests: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "monitoring/alerts")))
