#!/usr/bin/env python3
"""Offline checks of the Terraform tree that `terraform validate` would need providers for.

1. Every .tf, .tfvars and .tfbackend file parses with python-hcl2.
2. Every variable has a description and a type (CONVENTIONS.md).
3. Every variable set in a .tfvars file is declared in that folder's variables, and every
   variable without a default is set by each .tfvars file of the folder.
4. Every call of a local module (source "./..." or "../...") passes only variables the module declares,
   and all those it requires.
5. No ingress rule admits an address range: every hop (VPC link -> load balancer -> nodes) is
   admitted by security group only (checkov does not inspect aws_vpc_security_group_ingress_rule
   for open CIDRs).
6. Every folder pins Terraform and the AWS provider in its versions.tf; every registry module
   is pinned to an exact version.
7. ssm.tf writes every SSM parameter the other repositories read (README.md, "SSM contract"):
   renaming one would break postech-database-infra or postech-lambda-functions silently.
8. The workload roles (iam/main.tf) may read the JWT verification-key secret and never the
   signing key: only the auth Lambda signs tokens; and they act on no Cognito pool by wildcard
   (`userpool/*`): the app's Cognito statement names its stage's pool ARN, read from SSM.
9. With --account-stack (terraform-bootstrap/, applied once per account): checks 1-6, and the
   workflow roles trust GitHub's OIDC provider only, for audience sts.amazonaws.com and exact
   `sub` values (StringEquals: no wildcard lets another repository, branch or pull request in).
   Checks 7 and 8 belong to the stage stack and are not run there.
10. Alerts reach (stage stack) someone: `alarm_email` is a required variable (no default) with a validation
   block, every stage's .tfvars sets it to an e-mail address, the monitoring module receives
   it, and an SNS subscription of the tree sends to it.
11. Every helm_release names an https repository and an exact chart version (literal or a
   local of its folder).

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

# Read by postech-database-infra and postech-lambda-functions; the names are theirs.
SSM_CONTRACT = {
    "vpc/id": "String",
    "vpc/private-subnet-ids": "StringList",
    "eks/workload-security-group-id": "String",
    "eks/cluster-name": "String",
    "eks/vpc-link-security-group-id": "String",
    "eks/app-load-balancer-arn": "String",
    "eks/app-tls-server-name": "String",
    # postech-lambda-functions: the edge functions' VPC configuration and OTLP endpoint.
    "eks/edge-functions-security-group-id": "String",
    "tracing/edge-otlp-endpoint": "String",
}
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The variable every stage must set: who the alerts reach (monitoring.tf).
ALARM_VARIABLE = "alarm_email"

# A module source naming a folder of this tree (no registry version to pin).
LOCAL_MODULE_PREFIXES = ("./", "../")
MODULE_META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
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
                    if not isinstance(source, str) or not source.startswith(LOCAL_MODULE_PREFIXES):
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

    def check_versions_pinned(self, folder: Path) -> None:
        if not any(path.parent == folder and path.suffix == ".tf" for path in self.parsed):
            return
        where = self.relative(folder)
        blocks = [
            block
            for path, document in self.parsed.items()
            if path.parent == folder and path.suffix == ".tf"
            for block in document.get("terraform", [])
        ]
        self.check(any("required_version" in block for block in blocks), f"{where}: no required_version in a terraform block")
        providers = [entry for block in blocks for entry in block.get("required_providers", [])]
        aws = next((entry["aws"] for entry in providers if "aws" in entry), None)
        self.check(
            isinstance(aws, dict) and bool(unquote(aws.get("version", ""))),
            f"{where}: the aws provider is not pinned in required_providers",
        )

    def check_registry_modules_pinned(self) -> None:
        for path, document in self.parsed.items():
            for block in document.get("module", []):
                for name, body in block.items():
                    source = unquote(body.get("source", ""))
                    if not isinstance(source, str) or source.startswith(LOCAL_MODULE_PREFIXES):
                        continue
                    version = unquote(body.get("version", ""))
                    self.check(
                        isinstance(version, str) and bool(EXACT_VERSION.match(version)),
                        f"{self.relative(path)}: module {label(name)} ({source}) is not pinned to an exact version",
                    )

    def check_ssm_contract(self) -> None:
        ssm = self.parsed.get(self.root / "ssm.tf")
        self.check(ssm is not None, "ssm.tf is missing: nothing writes the SSM contract")
        if ssm is None:
            return
        written: dict = {}
        for block in ssm.get("locals", []):
            written.update({label(key): value for key, value in block.get("ssm_out", {}).items()})
        for name, kind in sorted(SSM_CONTRACT.items()):
            entry = written.get(name)
            self.check(entry is not None, f"ssm.tf: does not write /postech/<stage>/{name}, which other repositories read")
            if entry is not None:
                self.check(
                    unquote(entry.get("type")) == kind,
                    f"ssm.tf: /postech/<stage>/{name} must be a {kind} parameter (its readers expect it)",
                )

    def check_workload_secrets(self) -> None:
        iam = self.parsed.get(self.root / "iam" / "main.tf")
        self.check(iam is not None, "iam/main.tf is missing")
        if iam is None:
            return
        secret_arns: dict = {}
        for block in iam.get("locals", []):
            secret_arns.update({label(key): unquote(value) for key, value in block.get("secret_arn", {}).items()})
        for name, arn in secret_arns.items():
            self.check(
                "jwt-signing-key" not in str(arn),
                f"iam/main.tf: secret_arn.{name} grants the JWT signing key; only the auth Lambda may read it",
            )
        self.check(
            any(str(arn).endswith("/jwt-verification-key-??????") for arn in secret_arns.values()),
            "iam/main.tf: the app may not read postech/<stage>/jwt-verification-key (its token verification keys)",
        )
        text = (self.root / "iam" / "main.tf").read_text()
        self.check(
            "userpool/*" not in text and "/cognito/user-pool-arn" in text,
            "iam/main.tf: Cognito access must name the stage's pool (SSM /postech/<stage>/cognito/user-pool-arn), not userpool/*",
        )

    def check_workflow_role_trust(self) -> None:
        trusts = [
            body
            for path, document in self.parsed.items()
            if path.suffix == ".tf"
            for block in document.get("data", [])
            for kind, instances in block.items()
            if label(kind) == "aws_iam_policy_document"
            for name, body in instances.items()
            if label(name) == "trust"
        ]
        self.check(bool(trusts), "no data.aws_iam_policy_document.trust: the workflow roles' trust policy is missing")
        for trust in trusts:
            for statement in trust.get("statement", []):
                principals = [p for p in statement.get("principals", [])]
                self.check(
                    all(unquote(p.get("type")) == "Federated" for p in principals) and bool(principals),
                    "trust: a workflow role trusts something other than the GitHub OIDC provider",
                )
                conditions = {unquote(c.get("variable")): unquote(c.get("test")) for c in statement.get("condition", [])}
                self.check(
                    conditions.get("token.actions.githubusercontent.com:aud") == "StringEquals",
                    "trust: the audience sts.amazonaws.com is not required (StringEquals on token.actions.githubusercontent.com:aud)",
                )
                self.check(
                    conditions.get("token.actions.githubusercontent.com:sub") == "StringEquals",
                    "trust: the subject must be matched exactly (StringEquals on token.actions.githubusercontent.com:sub), never StringLike",
                )


    def check_alarm_subscription(self) -> None:
        where = f"variable {ALARM_VARIABLE}"
        spec = self.variables(self.root).get(ALARM_VARIABLE)
        self.check(spec is not None, f"{where} is not declared in the root module: nothing makes alerts reach anyone")
        if spec is None:
            return
        self.check("default" not in spec, f"{where} has a default: each stage must name its on-call address")
        conditions = [str(block.get("condition", "")) for block in spec.get("validation", [])]
        self.check(
            any(f"var.{ALARM_VARIABLE}" in condition for condition in conditions),
            f"{where} has no validation block checking it: an empty or malformed address must stop the plan",
        )
        tfvars = [path for path in self.parsed if path.parent == self.root and path.suffix == ".tfvars"]
        self.check(bool(tfvars), "no .tfvars in the root module")
        for path in tfvars:
            value = unquote(self.parsed[path].get(ALARM_VARIABLE, ""))
            self.check(
                isinstance(value, str) and bool(EMAIL.match(value)),
                f"{self.relative(path)}: {ALARM_VARIABLE} must be set to the stage's on-call e-mail address, got {value!r}",
            )
        passed_on = [
            body
            for path, document in self.parsed.items()
            if path.parent == self.root
            for block in document.get("module", [])
            for body in block.values()
            if unquote(body.get(ALARM_VARIABLE, "")) == f"${{var.{ALARM_VARIABLE}}}"
        ]
        self.check(bool(passed_on), f"no module call passes {ALARM_VARIABLE} = var.{ALARM_VARIABLE}")
        subscribed = [
            body
            for document in self.parsed.values()
            for block in document.get("resource", [])
            for body in block.get('"aws_sns_topic_subscription"', {}).values()
            if unquote(body.get("endpoint", "")) == f"${{var.{ALARM_VARIABLE}}}"
        ]
        self.check(bool(subscribed), f"no aws_sns_topic_subscription sends to var.{ALARM_VARIABLE}")

    def locals_of(self, folder: Path) -> dict:
        values: dict = {}
        for path, document in self.parsed.items():
            if path.parent == folder and path.suffix == ".tf":
                for block in document.get("locals", []):
                    values.update(block)
        return values

    def check_helm_releases_pinned(self) -> None:
        for path, document in self.parsed.items():
            local_values = self.locals_of(path.parent)
            for block in document.get("resource", []):
                for name, body in block.get('"helm_release"', {}).items():
                    where = f"{self.relative(path)}: helm_release.{label(name)}"
                    version = unquote(body.get("version", ""))
                    reference = re.fullmatch(r"\$\{local\.([a-z0-9_]+)\}", str(version))
                    if reference:
                        version = unquote(local_values.get(reference[1], ""))
                    self.check(
                        isinstance(version, str) and bool(EXACT_VERSION.match(version)),
                        f"{where}: chart version {version!r} is not an exact version",
                    )
                    repository = unquote(body.get("repository", ""))
                    self.check(
                        isinstance(repository, str) and repository.startswith("https://"),
                        f"{where}: repository {repository!r} is not an https URL",
                    )

    def run(self, account_stack: bool = False) -> int:
        self.parse_all()
        self.check_helm_releases_pinned()
        self.check_ingress_from_security_groups_only()
        self.check_registry_modules_pinned()
        if account_stack:
            self.check_workflow_role_trust()
        else:
            self.check_ssm_contract()
            self.check_workload_secrets()
            self.check_alarm_subscription()
        folders = sorted({path.parent for path in self.parsed})
        for folder in folders:
            self.check_variables_documented(folder)
            self.check_tfvars(folder)
            self.check_local_module_calls(folder)
            self.check_versions_pinned(folder)
        for failure in self.failures:
            print(f"FAILED {failure}")
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"terraform static checks: {len(self.failures)} of {total} checks FAILED")
            return 1
        print(f"terraform static checks: all {total} checks passed ({len(self.parsed)} files parsed)")
        return 0


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--account-stack"]
    root = Path(arguments[0] if arguments else "terraform").resolve()
    sys.exit(Checker(root).run(account_stack="--account-stack" in sys.argv[1:]))
