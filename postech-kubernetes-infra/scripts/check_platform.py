#!/usr/bin/env python3
"""Checks of the platform at production size (issue #16) that checkov and the schemas cannot see.

Usage: check_platform.py TERRAFORM_DIR STAGE=RENDERED.yaml [STAGE=RENDERED.yaml ...] platform=RENDERED.yaml

1. Node autoscaling: the Cluster Autoscaler is installed (helm_release from an https repository,
   exact chart version, an image tag for the stage's Kubernetes minor), the root module calls
   it, and its IRSA policy resizes only the node groups' own Auto Scaling groups (no write
   action on "*").
2. Node bounds fit the HPA: for each stage, the HPA's maxReplicas plus the rollout's surge, at
   the overlay's CPU and memory requests, with the per-node daemons and the cluster's own
   services, fit on node_max_size nodes of the smallest instance type; the minimum fits on
   node_min_size. Staging runs on SPOT; every instance type has one shape and supports trunk
   ENIs (security groups for pods: no t family).
3. Add-ons pinned: no `most_recent = true` anywhere; every cluster add-on has an
   `addon_version`, and each stage's tfvars pins coredns, kube-proxy, metrics-server and
   vpc-cni to exact builds.
4. PodDisruptionBudget-aware scale-down: the app has a PDB, and every emptyDir of the app is
   named in its `safe-to-evict-local-volumes` annotation (else the autoscaler never drains it).
5. Private AWS access: the endpoints module is called; interface endpoints for ecr.api,
   ecr.dkr, sts, secretsmanager, ssm and logs and an S3 gateway endpoint, each with a policy;
   the endpoints' security group admits 443 from security groups only; every AWS CLI call of
   the scripts that run inside the VPC (scripts/*.sh, the database's migrate-stage.sh) to one of
   those services is allowed by its endpoint's policy.
6. Pod-level isolation: the VPC CNI runs with ENABLE_POD_ENI; the node group does not carry the
   workload security group; the platform's SecurityGroupPolicy selects exactly the app, the
   migrator and the migration tunnel by the labels their pods carry; the NetworkPolicy's 5432
   destinations are exactly the stage's private (database) subnets, computed from
   <stage>.tfvars like terraform/network does.
7. The edge functions' OTLP entry (terraform/edge-otlp): the root module calls it; its load
   balancer is an internal NLB with a security group; its listener is TLS on 443 with a TLS 1.3/1.2
   policy and a validated certificate, forwarding to an instance target group on the module's
   node port; the load balancer's security group admits 443 from the edge functions' group only
   (by reference, no address range) and the nodes admit the node port from the load balancer's
   group; the name resolves in a private hosted zone tied to the VPC; the endpoints module admits
   the edge functions' group; the collector's NodePort Service (monitoring/tracing.tf) listens on
   the collector's OTLP/HTTP port 4318 at the same node port the root passes to both; ssm.tf
   publishes the edge functions' group and the endpoint.

Needs PyYAML and python-hcl2 (as check_manifests.py). Prints each failure and a summary (not in
the "N passed, M failed" shape the root test command adds up).
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from pathlib import Path

import hcl2
import yaml

EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
ADDON_BUILD = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
PINNED_ADDONS = ("coredns", "kube-proxy", "metrics-server", "vpc-cni")
INTERFACE_ENDPOINTS = {"ecr.api", "ecr.dkr", "sts", "secretsmanager", "ssm", "logs"}
DATABASE_CLIENTS = {"postech-app", "postech-migrator", "postech-db-tunnel"}

# Allocatable CPU (millicores) and memory (MiB) of a node, as EKS's AL2023 AMI reserves them
# (kube-reserved and eviction threshold), and whether the type has trunk ENIs (security groups
# for pods; amazon-vpc-resource-controller-k8s limits.go). Add a type here before using it.
INSTANCE_TYPES = {
    "m6i.large": {"cpu": 1930, "memory": 7000, "trunk": True},
    "m5.large": {"cpu": 1930, "memory": 7000, "trunk": True},
    "m6a.large": {"cpu": 1930, "memory": 7000, "trunk": True},
    "t3.medium": {"cpu": 1930, "memory": 3300, "trunk": False},
}
# What runs on every node besides the app (requests): aws-node with its policy agent,
# kube-proxy, Fluent Bit, node-exporter, the EBS CSI node plugin.
PER_NODE_DAEMONS = {"cpu": 25 + 100 + 50 + 20 + 30, "memory": 64 + 64 + 64 + 32 + 120}
# The cluster's own services (requests, terraform/monitoring values and add-ons): Prometheus
# and its reloader, Alertmanager, Grafana and its sidecar, the operator, kube-state-metrics,
# two collectors, Jaeger, two CoreDNS, metrics-server, the EBS CSI controller, the autoscaler.
CLUSTER_SERVICES = {
    "cpu": 200 + 10 + 20 + 50 + 10 + 50 + 20 + 2 * 50 + 100 + 2 * 100 + 100 + 60 + 100,
    "memory": 768 + 32 + 64 + 192 + 64 + 128 + 64 + 2 * 128 + 256 + 2 * 70 + 200 + 240 + 300,
}


def label(text: object) -> object:
    if isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def cpu_millis(value: str) -> int:
    value = str(value)
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


def memory_mib(value: str) -> int:
    value = str(value)
    for suffix, factor in (("Gi", 1024), ("Mi", 1), ("Ki", 1 / 1024)):
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(int(value) / (1024 * 1024))


def surge(max_surge: object, replicas: int) -> int:
    if isinstance(max_surge, str) and max_surge.endswith("%"):
        return -(-replicas * int(max_surge[:-1]) // 100)  # Kubernetes rounds a surge up
    return int(max_surge)


class Checker:
    def __init__(self, terraform: Path) -> None:
        self.terraform = terraform
        self.failures: list[str] = []
        self.passed = 0
        self.parsed: dict[Path, dict] = {}
        for path in sorted(terraform.rglob("*.tf")) + sorted(terraform.glob("*.tfvars")):
            if ".terraform" in path.parts:
                continue
            with path.open(encoding="utf-8") as handle:
                self.parsed[path] = hcl2.load(handle)

    def check(self, ok: bool, message: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)

    def resources(self, kind: str, folder: Path | None = None) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for path, document in self.parsed.items():
            if folder is not None and path.parent != folder:
                continue
            for block in document.get("resource", []):
                for name, body in block.get(f'"{kind}"', block.get(kind, {})).items():
                    found[str(label(name))] = body
        return found

    def data(self, kind: str, folder: Path) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for path, document in self.parsed.items():
            if path.parent == folder:
                for block in document.get("data", []):
                    for name, body in block.get(f'"{kind}"', {}).items():
                        found[str(label(name))] = body
        return found

    def module_calls(self) -> dict[str, dict]:
        calls: dict[str, dict] = {}
        for path, document in self.parsed.items():
            if path.parent == self.terraform and path.suffix == ".tf":
                for block in document.get("module", []):
                    for name, body in block.items():
                        calls[str(label(name))] = body
        return calls

    def locals_of(self, folder: Path) -> dict:
        values: dict = {}
        for path, document in self.parsed.items():
            if path.parent == folder and path.suffix == ".tf":
                for block in document.get("locals", []):
                    values.update(block)
        return values

    def tfvars(self, stage: str) -> dict:
        return self.parsed.get(self.terraform / f"{stage}.tfvars", {})

    # 1 ------------------------------------------------------------------------------------
    def check_autoscaler(self) -> None:
        folder = self.terraform / "autoscaler"
        calls = self.module_calls()
        self.check(
            any(label(body.get("source")) == "./autoscaler" for body in calls.values()),
            "the root module does not call ./autoscaler: nothing adds nodes when the HPA asks for more pods",
        )
        releases = self.resources("helm_release", folder)
        release = releases.get("cluster_autoscaler")
        self.check(release is not None, "autoscaler/: no helm_release.cluster_autoscaler")
        if release is not None:
            self.check(label(release.get("chart")) == "cluster-autoscaler", "autoscaler/: the release does not install the cluster-autoscaler chart")
            version = str(label(release.get("version", "")))
            reference = re.fullmatch(r"\$\{local\.([a-z0-9_]+)\}", version)
            if reference:
                version = str(label(self.locals_of(folder).get(reference[1], "")))
            self.check(bool(EXACT_VERSION.match(version)), f"autoscaler/: chart version {version!r} is not exact")
        variables = {}
        for path, document in self.parsed.items():
            if path.parent == folder:
                for block in document.get("variable", []):
                    variables.update({str(label(k)): v for k, v in block.items()})
        image_tags = variables.get("image_tags", {}).get("default", {})
        for stage in ("staging", "production"):
            minor = str(label(self.tfvars(stage).get("kubernetes_version", "")))
            self.check(
                minor in {str(label(k)) for k in image_tags},
                f"autoscaler/: no Cluster Autoscaler image tag for Kubernetes {minor} ({stage}); its minor must match the cluster's",
            )
        policy = self.data("aws_iam_policy_document", folder).get("autoscaler")
        self.check(policy is not None, "autoscaler/: no data.aws_iam_policy_document.autoscaler")
        writes = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")
        for statement in (policy or {}).get("statement", []):
            actions = [label(action) for action in statement.get("actions", [])]
            if any(action in writes for action in actions):
                resources = statement.get("resources", [])
                # A for expression comes back as one interpolated string.
                resources = [resources] if isinstance(resources, str) else [label(resource) for resource in resources]
                text = json.dumps(resources)
                self.check("*" not in resources and "autoScalingGroupName/" in text,
                           "autoscaler/: the resize actions must name the node groups' Auto Scaling groups, not \"*\"")
                self.check(bool(statement.get("condition")), "autoscaler/: the resize statement has no ownership-tag condition")
        self.check(
            any(any(label(a) in writes for a in s.get("actions", [])) for s in (policy or {}).get("statement", [])),
            "autoscaler/: the policy cannot resize the node group",
        )

    # 2 ------------------------------------------------------------------------------------
    def check_node_bounds(self, stage: str, objects: dict) -> None:
        variables = self.tfvars(stage)
        hpa = objects.get(("HorizontalPodAutoscaler", "postech-app"), {}).get("spec", {})
        deployment = objects.get(("Deployment", "postech-app"), {})
        self.check(bool(hpa) and bool(deployment), f"{stage}: no HPA or Deployment postech-app rendered")
        if not hpa or not deployment:
            return
        requests = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        pod_cpu, pod_memory = cpu_millis(requests["cpu"]), memory_mib(requests["memory"])
        max_pods = hpa["maxReplicas"] + surge(deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"], hpa["maxReplicas"])
        min_pods = hpa["minReplicas"]
        types = [str(label(t)) for t in variables.get("node_instance_types", [])]
        unknown = [t for t in types if t not in INSTANCE_TYPES]
        self.check(not unknown, f"{stage}: instance types {unknown} unknown to check_platform.py's table")
        if unknown or not types:
            return
        shapes = {(INSTANCE_TYPES[t]["cpu"], INSTANCE_TYPES[t]["memory"]) for t in types}
        self.check(len(shapes) == 1, f"{stage}: node_instance_types {types} have different shapes; the autoscaler sizes a group by its first type")
        self.check(all(INSTANCE_TYPES[t]["trunk"] for t in types),
                   f"{stage}: {types} include a type without trunk ENIs: security groups for pods cannot run there")
        node = {
            "cpu": min(INSTANCE_TYPES[t]["cpu"] for t in types) - PER_NODE_DAEMONS["cpu"],
            "memory": min(INSTANCE_TYPES[t]["memory"] for t in types) - PER_NODE_DAEMONS["memory"],
        }

        def nodes_for(pods: int) -> int:
            # First-fit of whole pods per node, then the cluster's services in the room left.
            per_node = min(node["cpu"] // pod_cpu, node["memory"] // pod_memory)
            if per_node < 1:
                return 10**6
            app_nodes = -(-pods // per_node)
            room = {
                "cpu": app_nodes * node["cpu"] - pods * pod_cpu,
                "memory": app_nodes * node["memory"] - pods * pod_memory,
            }
            extra = max(
                -(-(CLUSTER_SERVICES["cpu"] - room["cpu"]) // node["cpu"]) if CLUSTER_SERVICES["cpu"] > room["cpu"] else 0,
                -(-(CLUSTER_SERVICES["memory"] - room["memory"]) // node["memory"]) if CLUSTER_SERVICES["memory"] > room["memory"] else 0,
            )
            return app_nodes + extra

        node_max, node_min = int(variables.get("node_max_size", 0)), int(variables.get("node_min_size", 0))
        needed_max, needed_min = nodes_for(max_pods), nodes_for(min_pods)
        self.check(
            node_max >= needed_max,
            f"{stage}: {max_pods} app pods at the HPA maximum (with the rollout surge) of {pod_cpu}m/{pod_memory}Mi need "
            f"{needed_max} {types[0]} nodes; node_max_size is {node_max}",
        )
        self.check(node_min >= needed_min, f"{stage}: {min_pods} app pods need {needed_min} nodes; node_min_size is {node_min}")
        self.check(int(variables.get("node_desired_size", 0)) >= node_min, f"{stage}: node_desired_size below node_min_size")
        print(f"check_platform: {stage}: HPA {min_pods}-{hpa['maxReplicas']} pods (+surge: {max_pods}) x {pod_cpu}m -> "
              f"{needed_min}-{needed_max} nodes needed; node group {node_min}-{node_max} x {'/'.join(types)} "
              f"{label(variables.get('node_capacity_type', ''))}")
        if stage == "staging":
            self.check(label(variables.get("node_capacity_type")) == "SPOT", "staging: node_capacity_type should be SPOT")

    # 3 ------------------------------------------------------------------------------------
    def check_addons_pinned(self) -> None:
        for path in self.parsed:
            if path.suffix == ".tf":
                text = path.read_text(encoding="utf-8")
                self.check(not re.search(r"most_recent\s*=\s*true", text),
                           f"{path.relative_to(self.terraform.parent)}: `most_recent = true` lets an add-on move on any plan; pin its version")
        eks = self.parsed.get(self.terraform / "eks" / "main.tf", {})
        addons = {}
        for block in eks.get("module", []):
            for body in block.values():
                addons.update(body.get("cluster_addons", {}))
        self.check(set(PINNED_ADDONS) <= {str(label(k)) for k in addons}, f"eks/main.tf: cluster_addons lacks one of {PINNED_ADDONS}")
        for name, spec in addons.items():
            self.check("addon_version" in spec, f"eks/main.tf: add-on {label(name)} has no addon_version")
        for stage in ("staging", "production"):
            versions = self.tfvars(stage).get("addon_versions", {})
            versions = {str(label(k)): str(label(v)) for k, v in versions.items()}
            for name in PINNED_ADDONS:
                self.check(bool(ADDON_BUILD.match(versions.get(name, ""))),
                           f"{stage}.tfvars: addon_versions.{name} is not an exact build (vX.Y.Z-eksbuild.N): {versions.get(name)!r}")

    # 4 ------------------------------------------------------------------------------------
    def check_disruption(self, stage: str, objects: dict) -> None:
        self.check(("PodDisruptionBudget", "postech-app") in objects, f"{stage}: no PodDisruptionBudget for the app: scale-down could empty it")
        template = objects.get(("Deployment", "postech-app"), {}).get("spec", {}).get("template", {})
        empty_dirs = {v["name"] for v in template.get("spec", {}).get("volumes", []) if "emptyDir" in v}
        annotation = template.get("metadata", {}).get("annotations", {}).get("cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes", "")
        named = {name.strip() for name in annotation.split(",") if name.strip()}
        self.check(empty_dirs <= named, f"{stage}: the app's emptyDir volumes {sorted(empty_dirs - named)} are not safe-to-evict: the autoscaler would never drain its nodes")

    # 5 ------------------------------------------------------------------------------------
    def check_endpoints(self) -> None:
        folder = self.terraform / "endpoints"
        self.check(any(label(b.get("source")) == "./endpoints" for b in self.module_calls().values()),
                   "the root module does not call ./endpoints: AWS API calls leave through the NAT gateway")
        endpoints = self.resources("aws_vpc_endpoint", folder)
        interface = endpoints.get("interface")
        self.check(interface is not None, "endpoints/: no aws_vpc_endpoint.interface")
        services = {str(label(k)) for k in self.locals_of(folder).get("interface_endpoints", {})}
        self.check(INTERFACE_ENDPOINTS <= services, f"endpoints/: interface endpoints missing: {sorted(INTERFACE_ENDPOINTS - services)}")
        for name, body in endpoints.items():
            self.check(bool(body.get("policy")), f"endpoints/: aws_vpc_endpoint.{name} has no endpoint policy")
        s3 = endpoints.get("s3", {})
        self.check(label(s3.get("vpc_endpoint_type")) == "Gateway" and "s3" in str(s3.get("service_name", "")),
                   "endpoints/: no S3 gateway endpoint (ECR layers, bundles)")
        self.check(bool(s3.get("route_table_ids")), "endpoints/: the S3 gateway endpoint has no route tables")
        if interface is not None:
            self.check(label(interface.get("private_dns_enabled")) in (True, "true"), "endpoints/: interface endpoints without private DNS are not used by the SDKs")
        # Every AWS CLI call of the scripts that run inside the VPC (the deploy executor) to a
        # service with an endpoint must be allowed by that endpoint's policy: with private DNS
        # the call cannot go around it.
        endpoint_of = {"secretsmanager": "secretsmanager", "ssm": "ssm", "logs": "logs", "sts": "sts", "ecr": "ecr.api"}
        scripts = list((self.terraform.parent / "scripts").glob("*.sh"))
        scripts += list((self.terraform.parent.parent / "postech-database-infra" / "scripts").glob("migrate-stage.sh"))
        policies = self.locals_of(folder).get("interface_endpoints", {})
        for script in scripts:
            for service, command in re.findall(r"\baws (secretsmanager|ssm|logs|sts|ecr) ([a-z][a-z-]+)", script.read_text(encoding="utf-8")):
                action = f"{service}:" + "".join(part.capitalize() for part in command.split("-"))
                allowed = {str(label(a)) for a in policies.get(f'"{endpoint_of[service]}"', policies.get(endpoint_of[service], {})).get("actions", [])}
                self.check(action in allowed, f"endpoints/: {script.name} calls {action}, which the {endpoint_of[service]} endpoint's policy refuses")
        rules = self.resources("aws_vpc_security_group_ingress_rule", folder)
        self.check(bool(rules) and all("referenced_security_group_id" in r for r in rules.values()),
                   "endpoints/: the endpoints' security group must admit 443 from security groups only")

    # 6 ------------------------------------------------------------------------------------
    def check_pod_isolation(self, platform: dict, stages: dict[str, dict]) -> None:
        eks = (self.terraform / "eks" / "main.tf").read_text(encoding="utf-8")
        self.check(re.search(r'ENABLE_POD_ENI\s*=\s*"true"', eks) is not None, "eks/main.tf: the VPC CNI runs without ENABLE_POD_ENI: no security groups for pods")
        self.check("vpc_security_group_ids = [aws_security_group.workload.id]" not in eks,
                   "eks/main.tf: the node group carries the workload security group: every pod on a node passes the database's group")
        policies = [obj for (kind, _), obj in platform.items() if kind == "SecurityGroupPolicy"]
        self.check(len(policies) == 1, "k8s/platform: expected one SecurityGroupPolicy (the database's clients)")
        selected: set[str] = set()
        for policy in policies:
            selector = policy["spec"].get("podSelector", {})
            for expression in selector.get("matchExpressions", []):
                if expression.get("key") == "app.kubernetes.io/name" and expression.get("operator") == "In":
                    selected |= set(expression.get("values", []))
            self.check(len(policy["spec"].get("securityGroups", {}).get("groupIds", [])) == 1,
                       "k8s/platform: the SecurityGroupPolicy must carry exactly the workload security group")
        self.check(selected == DATABASE_CLIENTS, f"k8s/platform: the SecurityGroupPolicy selects {sorted(selected)}, expected {sorted(DATABASE_CLIENTS)}")
        for stage, objects in stages.items():
            for kind, name in (("Deployment", "postech-app"), ("Job", "postech-migrate")):
                labels = objects.get((kind, name), {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
                self.check(labels.get("app.kubernetes.io/name") in DATABASE_CLIENTS,
                           f"{stage}: {kind} {name}'s pods are not selected by the SecurityGroupPolicy: RDS would refuse them")
        tunnel = (self.terraform.parent.parent / "postech-database-infra" / "scripts" / "migrate-stage.sh")
        if tunnel.exists():
            self.check("--labels=app.kubernetes.io/name=postech-db-tunnel" in tunnel.read_text(encoding="utf-8"),
                       "postech-database-infra/scripts/migrate-stage.sh: the tunnel pod lacks the label the SecurityGroupPolicy selects")

    def check_database_egress(self, stage: str, objects: dict) -> None:
        variables = self.tfvars(stage)
        vpc = ipaddress.ip_network(str(label(variables.get("vpc_cidr"))))
        zones = len(variables.get("availability_zones", []))
        # terraform/network: cidrsubnet(cidr, 4, index) per zone.
        expected = {str(list(vpc.subnets(new_prefix=vpc.prefixlen + 4))[index]) for index in range(zones)}
        policy = objects.get(("NetworkPolicy", "egress-dns-database-https"), {})
        destinations = {
            peer["ipBlock"]["cidr"]
            for rule in policy.get("spec", {}).get("egress", [])
            if any(port.get("port") == 5432 for port in rule.get("ports", []))
            for peer in rule.get("to", [])
            if "ipBlock" in peer
        }
        self.check(destinations == expected, f"{stage}: NetworkPolicy 5432 goes to {sorted(destinations)}, expected the database subnets {sorted(expected)}")
        for rule in policy.get("spec", {}).get("egress", []):
            if any(port.get("port") == 5432 for port in rule.get("ports", [])):
                self.check(bool(rule.get("to")), f"{stage}: a 5432 egress rule without destinations admits every address")

    # 7 ------------------------------------------------------------------------------------
    def check_edge_otlp(self) -> None:
        folder = self.terraform / "edge-otlp"
        calls = [b for b in self.module_calls().values() if label(b.get("source")) == "./edge-otlp"]
        self.check(len(calls) == 1, "the root module does not call ./edge-otlp: the edge functions' spans have no way to the collector")
        call = calls[0] if calls else {}
        balancers = self.resources("aws_lb", folder)
        self.check(len(balancers) == 1, "edge-otlp/: expected one aws_lb")
        for name, lb in balancers.items():
            self.check(label(lb.get("internal")) in (True, "true"), f"edge-otlp/: aws_lb.{name} is not internal")
            self.check(label(lb.get("load_balancer_type")) == "network", f"edge-otlp/: aws_lb.{name} is not a network load balancer")
            self.check(bool(lb.get("security_groups")), f"edge-otlp/: aws_lb.{name} has no security group: any address of the VPC could send spans")
        listeners = self.resources("aws_lb_listener", folder)
        self.check(bool(listeners), "edge-otlp/: no listener")
        for name, listener in listeners.items():
            self.check(label(listener.get("protocol")) == "TLS" and str(label(listener.get("port"))) == "443",
                       f"edge-otlp/: listener {name} is not TLS on 443: spans would cross the VPC in clear")
            self.check(str(label(listener.get("ssl_policy", ""))).startswith("ELBSecurityPolicy-TLS13-1-2-"),
                       f"edge-otlp/: listener {name} allows TLS below 1.2 (policy {label(listener.get('ssl_policy'))!r})")
            self.check("module.certificate.certificate_arn" in str(listener.get("certificate_arn", "")),
                       f"edge-otlp/: listener {name} does not use the validated certificate of module.certificate")
        # The shared certificate module hands out the ARN only once ACM has validated it.
        shared = (self.terraform / "public-certificate" / "outputs.tf").read_text(encoding="utf-8")
        self.check("aws_acm_certificate_validation.this.certificate_arn" in shared,
                   "public-certificate/: certificate_arn is not the validated certificate's: a listener could start without it")
        groups = self.resources("aws_lb_target_group", folder)
        for name, group in groups.items():
            self.check(label(group.get("target_type")) == "instance" and label(group.get("port")) == "${var.node_port}",
                       f"edge-otlp/: target group {name} does not send to the instances' node port")
        ingress = self.resources("aws_vpc_security_group_ingress_rule", folder)
        into_lb = [r for r in ingress.values() if label(r.get("security_group_id")) == "${aws_security_group.load_balancer.id}"]
        self.check(len(into_lb) == 1 and all(
            label(r.get("referenced_security_group_id")) == "${aws_security_group.edge_functions.id}" and str(label(r.get("from_port"))) == "443"
            and not ({"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(r)) for r in into_lb),
            "edge-otlp/: the load balancer must admit 443 from the edge functions' security group only")
        into_nodes = [r for r in ingress.values() if label(r.get("security_group_id")) == "${var.node_security_group_id}"]
        self.check(len(into_nodes) == 1 and all(
            label(r.get("referenced_security_group_id")) == "${aws_security_group.load_balancer.id}" and label(r.get("from_port")) == "${var.node_port}"
            for r in into_nodes), "edge-otlp/: the nodes must admit the node port from the load balancer's security group only")
        zones = self.resources("aws_route53_zone", folder)
        self.check(bool(zones) and all(z.get("vpc") for z in zones.values()),
                   "edge-otlp/: the endpoint's name must live in a private hosted zone tied to the VPC (not in the public zone)")
        endpoints_call = next((b for b in self.module_calls().values() if label(b.get("source")) == "./endpoints"), {})
        self.check("module.edge_otlp.edge_functions_security_group_id" in json.dumps(endpoints_call.get("client_security_group_ids")),
                   "endpoints.tf: the interface endpoints do not admit the edge functions' security group (their Secrets Manager reads)")
        services = self.resources("kubernetes_service_v1", self.terraform / "monitoring")
        edge = services.get("otel_collector_edge", {})
        spec = (edge.get("spec") or [{}])[0]
        ports = spec.get("port", [])
        self.check(label(spec.get("type")) == "NodePort" and len(ports) == 1
                   and str(label(ports[0].get("target_port"))) == "4318" and label(ports[0].get("node_port")) == "${var.edge_otlp_node_port}",
                   "monitoring/tracing.tf: no NodePort Service otel-collector-edge on the collector's OTLP/HTTP port 4318 at var.edge_otlp_node_port")
        monitoring_call = next((b for b in self.module_calls().values() if label(b.get("source")) == "./monitoring"), {})
        self.check(label(call.get("node_port")) == label(monitoring_call.get("edge_otlp_node_port")) == "${var.otlp_node_port}",
                   "the load balancer's node port (module edge_otlp) and the collector Service's (module monitoring) are not both var.otlp_node_port")
        ssm = json.dumps(self.locals_of(self.terraform).get("ssm_out", {}))
        for key, output in (("eks/edge-functions-security-group-id", "edge_functions_security_group_id"), ("tracing/edge-otlp-endpoint", "endpoint")):
            self.check(key in ssm and f"module.edge_otlp.{output}" in ssm, f"ssm.tf: /postech/<stage>/{key} is not module.edge_otlp.{output}")

    def run(self, rendered: dict[str, Path]) -> int:
        def load(path: Path) -> dict:
            return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d}

        platform = load(rendered.pop("platform")) if "platform" in rendered else {}
        self.check(bool(platform), "no platform=RENDERED.yaml given")
        stages = {stage: load(path) for stage, path in rendered.items()}
        self.check_autoscaler()
        self.check_addons_pinned()
        self.check_endpoints()
        self.check_edge_otlp()
        for stage, objects in stages.items():
            self.check_node_bounds(stage, objects)
            self.check_disruption(stage, objects)
            self.check_database_egress(stage, objects)
        self.check_pod_isolation(platform, stages)
        for failure in self.failures:
            print(f"FAILED {failure}")
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"platform checks: {len(self.failures)} of {total} checks FAILED")
            return 1
        print(f"platform checks: all {total} checks passed")
        return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[1])
    pairs = dict(argument.split("=", 1) for argument in sys.argv[2:])
    sys.exit(Checker(Path(sys.argv[1])).run({stage: Path(path) for stage, path in pairs.items()}))
