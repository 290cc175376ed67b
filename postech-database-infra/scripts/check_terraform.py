#!/usr/bin/env python3
"""Offline checks of the Terraform tree that `terraform validate` would need providers for.

1. Every .tf, .tfvars and .tfbackend file parses with python-hcl2.
2. Every variable has a description and a type (CONVENTIONS.md).
3. Every variable set in a .tfvars file is declared in that folder's variables, and every
   variable without a default is set by each .tfvars file of the folder.
4. Every call of a local module (source "./...") passes only variables the module declares,
   and all those it requires.
5. No ingress rule admits an address range: the database is reached from security groups only
   (checkov does not inspect aws_vpc_security_group_ingress_rule for open CIDRs).
6. Alarms reach someone: `alarm_email` is a required variable (no default) with a validation
   block, every stage's .tfvars sets it to an e-mail address, the module calls pass it on,
   an SNS subscription sends to it, and every CloudWatch alarm has alarm actions.
7. The alarm set covers CPU, freeable memory, free storage, connections, read and write
   latency and replica lag (by metric name).
8. Replication: the rds module has a read replica (aws_db_instance with replicate_source_db)
   and a cross-region automated backup replication; production turns both on
   (read_replica = true, backup_replication_region set to another region), and ssm.tf
   publishes the reader endpoint (rds/reader-endpoint) the app's deploy reads.

Prints one line per failed check and a summary; exits 1 when anything failed. (The summary
deliberately avoids the "N passed, M failed" shape: these are checks, not tests, and the root
test command sums such lines as test counts.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import hcl2  # python-hcl2 (tools/requirements-hcl2.txt), put on PYTHONPATH by validate-terraform.sh
except ImportError:
    sys.exit("python-hcl2 is not importable: run scripts/validate-terraform.sh, which installs it")

MODULE_META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The variable every stage must set: who the alarms reach (rds/alarms.tf).
ALARM_VARIABLE = "alarm_email"
ADDRESS_RANGE_ARGUMENTS = {"cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "prefix_list_ids"}


def label(text: str) -> str:
    """python-hcl2 keeps the quotes of block labels: '"name"' -> 'name'."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def unquote(value: object) -> object:
    return label(value) if isinstance(value, str) else value


class Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.passed = 0
        self.failures: list[str] = []
        self.parsed: dict[Path, dict] = {}

    def check(self, ok: bool, message: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)

    def parse_all(self) -> None:
        files = sorted(
            path
            for pattern in ("*.tf", "*.tfvars", "*.tfbackend")
            for path in self.root.rglob(pattern)
            if ".terraform" not in path.parts
        )
        self.check(bool(files), f"no Terraform files under {self.root}")
        for path in files:
            try:
                with path.open(encoding="utf-8") as handle:
                    self.parsed[path] = hcl2.load(handle)
                self.check(True, "")
            except Exception as error:  # noqa: BLE001 - any parse error is a failed check
                self.check(False, f"{self.relative(path)}: does not parse: {error}")

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent))

    def variables(self, folder: Path) -> dict[str, dict]:
        declared: dict[str, dict] = {}
        for path, document in self.parsed.items():
            if path.parent != folder or path.suffix != ".tf":
                continue
            for block in document.get("variable", []):
                for name, body in block.items():
                    declared[label(name)] = body
        return declared

    def check_variables_documented(self, folder: Path) -> None:
        for name, body in self.variables(folder).items():
            where = f"{self.relative(folder)}: variable {name}"
            self.check(bool(unquote(body.get("description", ""))), f"{where} has no description")
            self.check("type" in body, f"{where} has no type")

    def check_tfvars(self, folder: Path) -> None:
        declared = self.variables(folder)
        required = {name for name, body in declared.items() if "default" not in body}
        for path, document in self.parsed.items():
            if path.parent != folder or path.suffix != ".tfvars":
                continue
            # python-hcl2 keeps comments under "__comments__".
            for name in (key for key in document if not key.startswith("__")):
                self.check(
                    name in declared,
                    f"{self.relative(path)}: sets `{name}`, which {self.relative(folder)} does not declare",
                )
            for name in sorted(required - set(document)):
                self.check(False, f"{self.relative(path)}: does not set required variable `{name}`")
            self.passed += len(required & set(document))

    def check_local_module_calls(self, folder: Path) -> None:
        for path, document in self.parsed.items():
            if path.parent != folder or path.suffix != ".tf":
                continue
            for block in document.get("module", []):
                for name, body in block.items():
                    source = unquote(body.get("source", ""))
                    if not isinstance(source, str) or not source.startswith("./"):
                        continue
                    child = (folder / source).resolve()
                    declared = self.variables(child)
                    where = f"{self.relative(path)}: module {label(name)} ({source})"
                    self.check(bool(declared) or child.is_dir(), f"{where}: no such module folder")
                    passed = {key for key in body if key not in MODULE_META_ARGUMENTS and not key.startswith("__")}
                    for argument in sorted(passed):
                        self.check(argument in declared, f"{where}: passes `{argument}`, which the module does not declare")
                    for variable, spec in sorted(declared.items()):
                        if "default" not in spec:
                            self.check(variable in passed, f"{where}: does not pass required variable `{variable}`")

    def check_ingress_from_security_groups_only(self) -> None:
        for path, document in self.parsed.items():
            for block in document.get("resource", []):
                for kind, instances in block.items():
                    kind = label(kind)
                    for name, body in instances.items():
                        if kind == "aws_vpc_security_group_ingress_rule":
                            rules = [body]
                        elif kind == "aws_security_group_rule" and unquote(body.get("type")) == "ingress":
                            rules = [body]
                        elif kind == "aws_security_group":
                            rules = body.get("ingress", [])
                        else:
                            continue
                        for rule in rules:
                            ranges = sorted(ADDRESS_RANGE_ARGUMENTS & set(rule))
                            self.check(
                                not ranges,
                                f"{self.relative(path)}: {kind}.{label(name)} admits an address range ({', '.join(ranges)}); "
                                "admit security groups only",
                            )

    def check_alarm_subscription(self) -> None:
        spec = self.variables(self.root).get(ALARM_VARIABLE)
        where = f"variable {ALARM_VARIABLE}"
        self.check(spec is not None, f"{where} is not declared in the root module: the alarms reach nobody")
        if spec is None:
            return
        self.check("default" not in spec, f"{where} has a default: each stage must name its on-call address")
        self.check(
            any(f"var.{ALARM_VARIABLE}" in str(block.get("condition", "")) for block in spec.get("validation", [])),
            f"{where} has no validation block checking it: an empty or malformed address must stop the plan",
        )
        for path, document in self.parsed.items():
            if path.parent == self.root and path.suffix == ".tfvars":
                value = unquote(document.get(ALARM_VARIABLE, ""))
                self.check(
                    isinstance(value, str) and bool(EMAIL.match(value)),
                    f"{self.relative(path)}: {ALARM_VARIABLE} must be the stage's on-call e-mail address, got {value!r}",
                )
        resources = [
            (path, kind, label(name), body)
            for path, document in self.parsed.items()
            for block in document.get("resource", [])
            for kind, instances in block.items()
            for name, body in instances.items()
        ]
        self.check(
            any(label(kind) == "aws_sns_topic_subscription" and unquote(body.get("endpoint", "")) == f"${{var.{ALARM_VARIABLE}}}"
                for _, kind, _, body in resources),
            f"no aws_sns_topic_subscription sends to var.{ALARM_VARIABLE}",
        )
        for path, kind, name, body in resources:
            if label(kind) == "aws_cloudwatch_metric_alarm":
                self.check(bool(body.get("alarm_actions")), f"{self.relative(path)}: alarm {name} notifies nobody (no alarm_actions)")

    def check_alarm_metrics(self) -> None:
        metrics = {
            str(unquote(body.get("metric_name", "")))
            for document in self.parsed.values()
            for block in document.get("resource", [])
            for body in block.get('"aws_cloudwatch_metric_alarm"', {}).values()
        }
        # A for_each over {read = "ReadLatency", write = "WriteLatency"} keeps the names in its map.
        text = " ".join(path.read_text(encoding="utf-8") for path in self.parsed if path.suffix == ".tf")
        for metric in ("CPUUtilization", "FreeableMemory", "FreeStorageSpace", "DatabaseConnections", "ReadLatency", "WriteLatency", "ReplicaLag"):
            self.check(metric in metrics or f'"{metric}"' in text, f"no CloudWatch alarm on {metric}")

    def check_replication(self) -> None:
        resources = {
            (label(kind), label(name)): body
            for document in self.parsed.values()
            for block in document.get("resource", [])
            for kind, instances in block.items()
            for name, body in instances.items()
        }
        replicas = [body for (kind, _), body in resources.items() if kind == "aws_db_instance" and "replicate_source_db" in body]
        self.check(bool(replicas), "no read replica (aws_db_instance with replicate_source_db)")
        self.check(
            any(kind == "aws_db_instance_automated_backups_replication" for kind, _ in resources),
            "no cross-region automated backup replication (aws_db_instance_automated_backups_replication)",
        )
        production = self.parsed.get(self.root / "production.tfvars", {})
        self.check(production.get("read_replica") is True, "production.tfvars: read_replica must be true (the app's reader endpoint)")
        region = unquote(production.get("backup_replication_region"))
        self.check(
            isinstance(region, str) and region.count("-") == 2 and region != "us-east-1",
            f"production.tfvars: backup_replication_region must name another region, got {region!r}",
        )
        ssm = self.parsed.get(self.root / "ssm.tf", {})
        written = {label(key) for block in ssm.get("locals", []) for key in block.get("ssm_out", {})}
        self.check("reader-endpoint" in written, "ssm.tf: /postech/<stage>/rds/reader-endpoint is not published")

    def run(self) -> int:
        self.parse_all()
        self.check_alarm_subscription()
        self.check_alarm_metrics()
        self.check_replication()
        self.check_ingress_from_security_groups_only()
        folders = sorted({path.parent for path in self.parsed})
        for folder in folders:
            self.check_variables_documented(folder)
            self.check_tfvars(folder)
            self.check_local_module_calls(folder)
        for failure in self.failures:
            print(f"FAILED {failure}")
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"terraform static checks: {len(self.failures)} of {total} checks FAILED")
            return 1
        print(f"terraform static checks: all {total} checks passed ({len(self.parsed)} files parsed)")
        return 0


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "terraform").resolve()
    sys.exit(Checker(root).run())
