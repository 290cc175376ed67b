#!/usr/bin/env python3
"""Breaks the platform once per rule of check_platform.py and expects the check to fail.

Copies terraform/, k8s/ and the database tunnel script to a scratch directory, applies one
edit (a resource removed, a bound lowered, a pin loosened), renders the overlays with kubectl
kustomize and runs check_platform.py on the copy; the unedited copy must pass. Prints
"check_platform mutations: N passed, M failed" (the root test command adds such lines up).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECK = REPO / "scripts" / "check_platform.py"

# name -> (file relative to the repository, text to find, replacement; None deletes the file)
MUTATIONS = {
    "autoscaler_removed": ("terraform/autoscaler.tf", None, None),
    "autoscaler_may_resize_any_group": (
        "terraform/autoscaler/main.tf",
        'resources = [\n      for group in var.node_autoscaling_group_names :\n      "arn:aws:autoscaling:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:autoScalingGroup:*:autoScalingGroupName/${group}"\n    ]',
        'resources = ["*"]',
    ),
    "addon_most_recent": ("terraform/eks/main.tf", 'coredns    = { addon_version = var.addon_versions["coredns"] }', "coredns    = { most_recent = true }"),
    "addon_unpinned_in_tfvars": ("terraform/production.tfvars", '"v1.20.4-eksbuild.2"', '"latest"'),
    "node_max_below_hpa": ("terraform/production.tfvars", r"re:node_max_size\s*=\s*6", "node_max_size = 3"),
    "staging_on_demand": ("terraform/staging.tfvars", 'node_capacity_type  = "SPOT"', 'node_capacity_type  = "ON_DEMAND"'),
    "t_family_nodes": ("terraform/staging.tfvars", '["m6i.large", "m5.large", "m6a.large"]', '["t3.medium"]'),
    "endpoints_removed": ("terraform/endpoints.tf", None, None),
    "sts_endpoint_removed": ("terraform/endpoints/main.tf", "    sts = {", "    sts-disabled = {"),
    "endpoint_policy_refuses_a_deploy_call": ("terraform/endpoints/main.tf", '"secretsmanager:PutSecretValue", ', ""),
    "pod_eni_off": ("terraform/eks/main.tf", 'ENABLE_POD_ENI                    = "true"', 'ENABLE_POD_ENI                    = "false"'),
    "workload_sg_back_on_nodes": (
        "terraform/eks/main.tf",
        '      labels = { "postech.io/workload" = "app" }',
        '      vpc_security_group_ids = [aws_security_group.workload.id]\n      labels = { "postech.io/workload" = "app" }',
    ),
    "security_group_policy_removed": ("k8s/platform/kustomization.yaml", "  - security-group-policies.yaml\n", ""),
    "security_group_policy_widened": ("k8s/platform/security-group-policies.yaml", "values: [postech-app, postech-migrator, postech-db-tunnel]", "values: [postech-app, postech-migrator, postech-db-tunnel, prometheus]"),
    "database_egress_to_whole_vpc": ("k8s/overlays/production/kustomization.yaml", "cidr: 10.30.32.0/20", "cidr: 10.0.0.0/8"),
    "edge_otlp_removed": ("terraform/main.tf", 'source = "./edge-otlp"', 'source = "./edge-otlp-gone"'),
    "edge_otlp_listener_in_clear": ("terraform/edge-otlp/main.tf", 'protocol          = "TLS"', 'protocol          = "TCP"'),
    "edge_otlp_tls_1_0": ("terraform/edge-otlp/main.tf", '"ELBSecurityPolicy-TLS13-1-2-2021-06"', '"ELBSecurityPolicy-2016-08"'),
    "edge_otlp_lb_without_security_group": ("terraform/edge-otlp/main.tf", "  security_groups    = [aws_security_group.load_balancer.id]\n", ""),
    "edge_otlp_admits_a_range": (
        "terraform/edge-otlp/security_groups.tf",
        "  referenced_security_group_id = aws_security_group.edge_functions.id\n",
        '  cidr_ipv4                    = "10.0.0.0/8"\n',
    ),
    "certificate_not_waiting_for_validation": (
        "terraform/public-certificate/outputs.tf",
        "aws_acm_certificate_validation.this.certificate_arn",
        "aws_acm_certificate.this.arn",
    ),
    "edge_otlp_public_name": ("terraform/edge-otlp/tls.tf", "  vpc {\n    vpc_id = var.vpc_id\n  }\n", ""),
    "edge_functions_not_endpoint_client": ("terraform/endpoints.tf", '      "edge-functions" = module.edge_otlp.edge_functions_security_group_id\n', ""),
    "edge_otlp_node_port_mismatch": ("terraform/monitoring.tf", "edge_otlp_node_port       = var.otlp_node_port", "edge_otlp_node_port       = 30319"),
    "edge_otlp_endpoint_unpublished": ("terraform/ssm.tf", '"tracing/edge-otlp-endpoint"', '"tracing/otlp"'),
    "app_pdb_removed": ("k8s/base/kustomization.yaml", "  - pod-disruption-budget.yaml\n", ""),
    "app_not_evictable": ("k8s/base/deployment.yaml", "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes: tmp", "postech.io/note: none"),
}


def run_check(root: Path) -> bool:
    rendered = root / "rendered"
    rendered.mkdir(exist_ok=True)
    pairs = []
    for stage in ("staging", "production", "platform"):
        source = root / "k8s" / ("platform" if stage == "platform" else f"overlays/{stage}")
        out = rendered / f"{stage}.yaml"
        result = subprocess.run(["kubectl", "kustomize", str(source)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            return False
        out.write_text(result.stdout, encoding="utf-8")
        pairs.append(f"{stage}={out}")
    result = subprocess.run([sys.executable, str(CHECK), str(root / "terraform"), *pairs], capture_output=True, text=True, check=False)
    return result.returncode == 0


def copy(scratch: Path) -> Path:
    root = scratch / "postech-kubernetes-infra"
    shutil.copytree(REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform"))
    shutil.copytree(REPO / "k8s", root / "k8s")
    tunnel = REPO.parent / "postech-database-infra" / "scripts" / "migrate-stage.sh"
    if tunnel.exists():
        (scratch / "postech-database-infra" / "scripts").mkdir(parents=True)
        shutil.copy(tunnel, scratch / "postech-database-infra" / "scripts" / "migrate-stage.sh")
    return root


def main() -> int:
    passed = failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        if run_check(copy(Path(scratch) / "unchanged")):
            passed += 1
        else:
            failed += 1
            print("FAILED check_platform.py fails on the unchanged tree")
        for name, (relative, find, replace) in MUTATIONS.items():
            root = copy(Path(scratch) / name)
            target = root / relative
            if find is None:
                target.unlink()
            else:
                text = target.read_text(encoding="utf-8")
                pattern = re.compile(find[3:] if find.startswith("re:") else re.escape(find))
                if not pattern.search(text):
                    failed += 1
                    print(f"FAILED mutation {name}: {find!r} is not in {relative} (update the mutation)")
                    continue
                target.write_text(pattern.sub(lambda _: replace, text, count=1), encoding="utf-8")
            if run_check(root):
                failed += 1
                print(f"FAILED mutation {name}: check_platform.py still passes")
            else:
                passed += 1
    print(f"check_platform mutations: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
