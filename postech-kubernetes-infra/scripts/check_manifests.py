#!/usr/bin/env python3
"""Checks of the rendered overlays that neither checkov nor the schemas know about.

Usage: check_manifests.py TERRAFORM_DIR STAGE=RENDERED.yaml [STAGE=RENDERED.yaml ...] [platform=RENDERED.yaml]

1. Every image is a commit tag (`:sha-<7-40 hex>`), never `:latest` or untagged.
2. The app: startup and liveness probes on /health, readiness on /ready; no `replicas` (the
   HPA owns the count); requests and limits; non-root, read-only root, no privilege
   escalation, ALL capabilities dropped, seccomp RuntimeDefault.
3. The migration Job runs `postech-migrator up`, reading the master secret itself
   (`MIGRATOR_DATABASE_SECRET_ID`, host, name): no credentials from a Kubernetes Secret.
4. Every object carries `postech.io/phase` (prepare, migrate, rollout): the deploy applies by it.
5. The manifests agree with Terraform: namespace, container port, NodePort, ServiceAccount
   names (terraform/variables.tf and terraform/iam/variables.tf defaults).
6. The stage's secret ids are its own (the app reads its token verification keys from the
   stage's `jwt-verification-key` secret), and nothing in any object names the JWT signing key
   or holds a private key.
7. The overlays differ in HPA bounds and resources.
8. Payments: Mercado Pago is forced (`PAYMENT_PROVIDER=mercadopago`: a missing secret fails the
   start), with a payer e-mail and a notification URL. Registration e-mails go through SES from
   an address at the stage's `registration_email_domain` (terraform/<stage>.tfvars, the
   identity the app's role may send as), never to the local outbox.
9. Database TLS: `PGSSLMODE=verify-full`, and `PGSSLROOTCERT` names a key of the ConfigMap
   `postech-rds-ca` mounted at its directory, in the app and in the migration Job (which also
   gets both variables).
10. The app admits traffic from the internal load balancer only: one NetworkPolicy rule, from
    the stage's `load_balancer_cidr` (terraform/<stage>.tfvars, inside the VPC) to the app's
    port, and no other ingress rule selecting the app; the Service keeps the source address
    (`externalTrafficPolicy: Local`), without which that rule would drop the load balancer's
    traffic.
11. The app knows its stage (`POSTECH_STAGE`) and is not told it is a demo, so it refuses the
    simulated payment provider. Production reads the read replica (`DATABASE_READER_HOST`, the
    deploy's placeholder for /postech/production/rds/reader-endpoint); staging has none.
12. The platform's objects (k8s/platform, `platform=`): the namespace enforces, warns and
    audits Pod Security `restricted`, and the ServiceAccounts the workloads run as exist there,
    named as in terraform/iam, with an IRSA annotation and no automounted token.
13. Telemetry: the ServiceMonitor of terraform/monitoring (kube-prometheus-stack values) selects
    the app's Service by its labels, in its namespace, on a port the Service has; the
    NetworkPolicy prometheus-scrapes-app admits Prometheus's pods (namespace monitoring) on the
    app's port and nothing else; the app exports spans to the collector the monitoring module
    installs (OTEL_EXPORTER_OTLP_ENDPOINT), and the NetworkPolicy app-exports-traces lets it.

Needs PyYAML (the venv) and python-hcl2 (PYTHONPATH, see scripts/validate-kubernetes.sh).
Prints each failure and a summary (not in the "N passed, M failed" shape the root sums).
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

import hcl2
import yaml

IMAGE_TAG = re.compile(r"^[^@\s]+:sha-[0-9a-f]{7,40}$")
# The NetworkPolicy that lets Prometheus scrape the app (k8s/base/network-policy-observability.yaml).
SCRAPE_POLICY = "prometheus-scrapes-app"
PHASES = {"prepare", "migrate", "rollout"}
# Only the auth Lambda may hold the signing key: no object may name its secret or carry a
# private key (the app verifies tokens with the public keys of jwt-verification-key).
SIGNING_KEY_MARKERS = ("JWT_SIGNING_KEY_SECRET_ID", "jwt-signing-key", "JWT_PRIVATE_KEY_PEM", "PRIVATE KEY-----")


def strings_in(value: object):
    """Every key and string value of a parsed object, however deeply nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, str):
        yield value


def defaults(folder: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    with (folder / "variables.tf").open(encoding="utf-8") as handle:
        for block in hcl2.load(handle).get("variable", []):
            for name, body in block.items():
                if "default" in body:
                    default = body["default"]
                    # python-hcl2 keeps the quotes of strings: '"postech"'.
                    if isinstance(default, str) and len(default) >= 2 and default[0] == default[-1] == '"':
                        default = default[1:-1]
                    values[name.strip('"')] = default
    return values


def tfvars(path: Path) -> dict[str, object]:
    with path.open(encoding="utf-8") as handle:
        values = hcl2.load(handle)
    return {
        name: value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value
        for name, value in values.items()
    }


class ManifestChecker:
    def __init__(self, terraform: Path) -> None:
        self.terraform = terraform
        self.root = defaults(terraform)
        self.iam = defaults(terraform / "iam")
        values = terraform / "monitoring" / "values"
        self.prometheus_values = yaml.safe_load((values / "kube-prometheus-stack.yaml").read_text(encoding="utf-8"))
        self.collector_values = yaml.safe_load((values / "opentelemetry-collector.yaml").read_text(encoding="utf-8"))
        self.passed = 0
        self.failures: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)

    def stage(self, stage: str, path: Path) -> dict:
        objects = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
        by_kind: dict[tuple[str, str], dict] = {}
        for obj in objects:
            name = obj["metadata"]["name"]
            where = f"{stage}: {obj['kind']}/{name}"
            phase = obj["metadata"].get("labels", {}).get("postech.io/phase")
            self.check(phase in PHASES, f"{where} has no postech.io/phase label in {sorted(PHASES)}")
            if obj["kind"] != "Namespace":
                self.check(
                    obj["metadata"].get("namespace") == self.root["app_namespace"],
                    f"{where} is not in namespace {self.root['app_namespace']} (terraform app_namespace)",
                )
            for container in self.containers(obj):
                self.check(
                    bool(IMAGE_TAG.match(container.get("image", ""))),
                    f"{where}: image {container.get('image')!r} is not a commit tag (:sha-<hex>)",
                )
            key = (obj["kind"], re.sub(r"-[a-z0-9]{10}$", "", name) if obj["kind"] == "ConfigMap" else name)
            by_kind[key] = obj
        self.check_app(stage, by_kind)
        self.check_job(stage, by_kind)
        self.check_config(stage, by_kind)
        self.check_database_tls(stage, by_kind)
        self.check_app_ingress(stage, objects)
        self.check_telemetry(stage, by_kind)
        return by_kind

    @staticmethod
    def containers(obj: dict) -> list[dict]:
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        return spec.get("containers", []) + spec.get("initContainers", [])

    def check_app(self, stage: str, objects: dict) -> None:
        deployment = objects.get(("Deployment", "postech-app"))
        self.check(deployment is not None, f"{stage}: no Deployment postech-app")
        if deployment is None:
            return
        where = f"{stage}: Deployment/postech-app"
        self.check("replicas" not in deployment["spec"], f"{where} sets replicas; the HPA owns the count")
        pod = deployment["spec"]["template"]["spec"]
        self.check(
            pod.get("securityContext", {}).get("seccompProfile", {}).get("type") == "RuntimeDefault",
            f"{where}: pod seccompProfile is not RuntimeDefault",
        )
        self.check(pod.get("serviceAccountName") == self.iam["app_service_account"], f"{where}: ServiceAccount differs from terraform/iam")
        container = pod["containers"][0]
        for probe, path in (("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/ready")):
            got = container.get(probe, {}).get("httpGet", {}).get("path")
            self.check(got == path, f"{where}: {probe} must GET {path}, got {got!r}")
        ports = [port["containerPort"] for port in container.get("ports", [])]
        self.check(ports == [self.root["app_port"]], f"{where}: container ports {ports} differ from terraform app_port")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            self.check({"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: {kind} for cpu and memory missing")
        context = container.get("securityContext", {})
        self.check(context.get("runAsNonRoot") is True, f"{where}: runAsNonRoot is not true")
        self.check(context.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem is writable")
        self.check(context.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
        self.check(context.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities not dropped")
        service = objects.get(("Service", "postech-app"), {})
        node_ports = [port.get("nodePort") for port in service.get("spec", {}).get("ports", [])]
        self.check(node_ports == [self.root["app_node_port"]], f"{stage}: Service nodePort {node_ports} differs from terraform app_node_port")

    def check_job(self, stage: str, objects: dict) -> None:
        job = objects.get(("Job", "postech-migrate"))
        self.check(job is not None, f"{stage}: no migration Job postech-migrate")
        if job is None:
            return
        pod = job["spec"]["template"]["spec"]
        container = pod["containers"][0]
        command = container.get("command", []) + container.get("args", [])
        self.check(
            len(command) == 2 and command[0].endswith("postech-migrator") and command[1] == "up",
            f"{stage}: the Job runs {command}, not `postech-migrator up`",
        )
        self.check(pod.get("serviceAccountName") == self.iam["migrator_service_account"], f"{stage}: Job ServiceAccount differs from terraform/iam")
        env = container.get("env", [])
        names = {variable["name"] for variable in env}
        wanted = {"MIGRATOR_DATABASE_SECRET_ID", "MIGRATOR_DATABASE_HOST", "MIGRATOR_DATABASE_NAME"}
        self.check(wanted <= names, f"{stage}: the Job lacks {sorted(wanted - names)} (the migrator reads the master secret itself)")
        from_secrets = sorted(
            variable["name"] for variable in env if "secretKeyRef" in variable.get("valueFrom", {})
        ) + sorted(source["secretRef"]["name"] for source in container.get("envFrom", []) if "secretRef" in source)
        self.check(
            not from_secrets and "DATABASE_URL" not in names,
            f"{stage}: the Job takes database credentials from Kubernetes ({from_secrets or 'DATABASE_URL'}): a copy goes stale when RDS rotates the master password",
        )

    def check_config(self, stage: str, objects: dict) -> None:
        config = objects.get(("ConfigMap", "postech-app-config"), {}).get("data", {})
        expected = {
            "APP_DATABASE_SECRET_ID": f"postech/{stage}/app-database",
            "MERCADOPAGO_SECRET_ID": f"postech/{stage}/mercadopago",
            "JWT_VERIFICATION_KEY_SECRET_ID": f"postech/{stage}/jwt-verification-key",
            "APP_PORT": str(self.root["app_port"]),
            "PAYMENT_PROVIDER": "mercadopago",
            "PGSSLMODE": "verify-full",
            "POSTECH_STAGE": stage,
        }
        for key, value in expected.items():
            self.check(config.get(key) == value, f"{stage}: ConfigMap {key}={config.get(key)!r}, expected {value!r}")
        self.check(
            re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", config.get("MERCADOPAGO_PAYER_EMAIL", "")) is not None,
            f"{stage}: ConfigMap MERCADOPAGO_PAYER_EMAIL={config.get('MERCADOPAGO_PAYER_EMAIL')!r} is not an e-mail address",
        )
        self.check(
            config.get("PAYMENT_SIMULATOR_DEMO", "false") == "false",
            f"{stage}: ConfigMap PAYMENT_SIMULATOR_DEMO={config.get('PAYMENT_SIMULATOR_DEMO')!r}: a deployed stage must not run the payment simulator",
        )
        # The read replica: production reads the deploy-filled reader endpoint, staging has none
        # (postech-database-infra creates the replica in production only).
        reader = config.get("DATABASE_READER_HOST")
        if stage == "production":
            self.check(
                reader == "set-by-deploy",
                f"{stage}: ConfigMap DATABASE_READER_HOST={reader!r}, expected the deploy's placeholder (filled from /postech/production/rds/reader-endpoint)",
            )
        else:
            self.check(
                reader is None and "DATABASE_READER_URL" not in config,
                f"{stage}: ConfigMap sets a read replica ({reader!r}); staging has none",
            )
        sender_domain = tfvars(self.terraform / f"{stage}.tfvars").get("registration_email_domain")
        sender = config.get("REGISTRATION_EMAIL_FROM", "")
        self.check(
            re.fullmatch(r"[^@\s]+@" + re.escape(str(sender_domain)), sender) is not None,
            f"{stage}: ConfigMap REGISTRATION_EMAIL_FROM={sender!r} is not an address at registration_email_domain "
            f"{sender_domain!r} (terraform/{stage}.tfvars): the app's role may send as that identity only",
        )
        self.check(
            "REGISTRATION_OUTBOX_FILE" not in config,
            f"{stage}: ConfigMap REGISTRATION_OUTBOX_FILE: a deployed stage must send its codes through SES, not the local outbox",
        )
        notification = config.get("MERCADOPAGO_NOTIFICATION_URL", "")
        self.check(
            notification == "set-by-deploy" or notification.startswith("https://"),
            f"{stage}: ConfigMap MERCADOPAGO_NOTIFICATION_URL={notification!r} is neither the deploy's placeholder nor https",
        )
        for (kind, name), obj in objects.items():
            leaks = sorted({marker for text in strings_in(obj) for marker in SIGNING_KEY_MARKERS if marker in text})
            self.check(
                not leaks,
                f"{stage}: {kind}/{name} mentions {leaks}: only the auth Lambda may hold the JWT signing key",
            )

    def check_database_tls(self, stage: str, objects: dict) -> None:
        config = objects.get(("ConfigMap", "postech-app-config"), {}).get("data", {})
        root_cert = config.get("PGSSLROOTCERT", "")
        self.check(root_cert.startswith("/"), f"{stage}: ConfigMap PGSSLROOTCERT={root_cert!r} is not an absolute path")
        directory, _, file_name = root_cert.rpartition("/")
        bundle = objects.get(("ConfigMap", "postech-rds-ca"))
        self.check(
            bundle is not None and file_name in bundle.get("data", {}),
            f"{stage}: ConfigMap postech-rds-ca has no key {file_name!r} (PGSSLROOTCERT)",
        )
        bundle_name = (bundle or {}).get("metadata", {}).get("name")
        for kind, name in (("Deployment", "postech-app"), ("Job", "postech-migrate")):
            workload = objects.get((kind, name))
            if workload is None:
                continue
            pod = workload["spec"]["template"]["spec"]
            volumes = {
                volume["name"]
                for volume in pod.get("volumes", [])
                if volume.get("configMap", {}).get("name") == bundle_name
            }
            container = pod["containers"][0]
            mounted = any(
                mount.get("name") in volumes and mount.get("mountPath", "").rstrip("/") == directory
                for mount in container.get("volumeMounts", [])
            )
            self.check(mounted, f"{stage}: {kind}/{name} does not mount postech-rds-ca at {directory} (PGSSLROOTCERT)")
            from_config = {
                env["name"]
                for env in container.get("env", [])
                if env.get("valueFrom", {}).get("configMapKeyRef", {}).get("key") == env["name"]
            }
            whole_config = any(
                source.get("configMapRef", {}).get("name", "").startswith("postech-app-config")
                for source in container.get("envFrom", [])
            )
            self.check(
                whole_config or {"PGSSLMODE", "PGSSLROOTCERT"} <= from_config,
                f"{stage}: {kind}/{name} does not get PGSSLMODE and PGSSLROOTCERT from postech-app-config",
            )

    def check_app_ingress(self, stage: str, objects: list[dict]) -> None:
        values = tfvars(self.terraform / f"{stage}.tfvars")
        load_balancer = ipaddress.ip_network(str(values.get("load_balancer_cidr", "0.0.0.0/32")))
        vpc = ipaddress.ip_network(str(values.get("vpc_cidr", "0.0.0.0/32")))
        self.check(
            load_balancer.subnet_of(vpc) and load_balancer.prefixlen > vpc.prefixlen,
            f"{stage}: load_balancer_cidr {load_balancer} is not a range inside the VPC {vpc}",
        )
        app_labels = {"app.kubernetes.io/name": "postech-app"}

        def selects_app(policy: dict) -> bool:
            # An empty selector selects every pod of the namespace, the app's included.
            selector = policy["spec"].get("podSelector", {}).get("matchLabels", {})
            return all(app_labels.get(key) == value for key, value in selector.items())

        # Prometheus's scrapes are admitted by pod and namespace, not by address, in the policy
        # check_telemetry checks (its one rule, no address range): left out here.
        rules = [
            rule
            for obj in objects
            if obj["kind"] == "NetworkPolicy" and "Ingress" in obj["spec"].get("policyTypes", []) and selects_app(obj)
            and obj["metadata"]["name"] != SCRAPE_POLICY
            for rule in obj["spec"].get("ingress", [])
        ]
        expected = {"from": [{"ipBlock": {"cidr": str(load_balancer)}}], "ports": [{"protocol": "TCP", "port": self.root["app_port"]}]}
        self.check(
            rules == [expected],
            f"{stage}: the app's ingress rules are {rules}, expected only {expected} (the load balancer's subnets, terraform load_balancer_cidr)",
        )
        service = next((obj for obj in objects if obj["kind"] == "Service" and obj["metadata"]["name"] == "postech-app"), {})
        self.check(
            service.get("spec", {}).get("externalTrafficPolicy") == "Local",
            f"{stage}: Service postech-app is not externalTrafficPolicy Local: the NodePort would rewrite the load balancer's address and the NetworkPolicy drop its traffic",
        )

    def check_telemetry(self, stage: str, objects: dict) -> None:
        namespace = self.root["app_namespace"]
        port = self.root["app_port"]
        service = objects.get(("Service", "postech-app"), {})
        deployment = objects.get(("Deployment", "postech-app"), {})
        pod_labels = deployment.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})

        monitors = [
            monitor
            for monitor in self.prometheus_values.get("prometheus", {}).get("additionalServiceMonitors", [])
            if monitor.get("name") == "postech-app"
        ]
        self.check(len(monitors) == 1, f"{stage}: kube-prometheus-stack values define no ServiceMonitor postech-app")
        for monitor in monitors:
            wanted = monitor.get("selector", {}).get("matchLabels", {})
            labels = service.get("metadata", {}).get("labels", {})
            self.check(
                bool(wanted) and all(labels.get(key) == value for key, value in wanted.items()),
                f"{stage}: the ServiceMonitor selects {wanted}, which Service/postech-app (labels {labels}) does not carry",
            )
            self.check(
                namespace in monitor.get("namespaceSelector", {}).get("matchNames", []),
                f"{stage}: the ServiceMonitor does not look in the app's namespace {namespace}",
            )
            port_names = {entry.get("name") for entry in service.get("spec", {}).get("ports", [])}
            for endpoint in monitor.get("endpoints", []):
                self.check(
                    endpoint.get("port") in port_names,
                    f"{stage}: the ServiceMonitor scrapes port {endpoint.get('port')!r}, not one of Service/postech-app {sorted(port_names)}",
                )
                self.check(endpoint.get("path") == "/metrics", f"{stage}: the ServiceMonitor scrapes {endpoint.get('path')!r}, not /metrics")

        def selects_app(policy: dict) -> bool:
            wanted = policy.get("spec", {}).get("podSelector", {}).get("matchLabels", {})
            return bool(wanted) and all(pod_labels.get(key) == value for key, value in wanted.items())

        def peers(rules: list, direction: str) -> list[tuple[str, dict, set]]:
            found = []
            for rule in rules:
                ports = {entry.get("port") for entry in rule.get("ports", [])}
                for peer in rule.get(direction, []):
                    peer_namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                    found.append((peer_namespace, peer.get("podSelector", {}).get("matchLabels", {}), ports))
            return found

        scrape = objects.get(("NetworkPolicy", SCRAPE_POLICY), {})
        self.check(selects_app(scrape), f"{stage}: NetworkPolicy {SCRAPE_POLICY} does not select the app's pods")
        scrape_rules = scrape.get("spec", {}).get("ingress", [])
        self.check(
            len(scrape_rules) == 1
            and all("ipBlock" not in peer for rule in scrape_rules for peer in rule.get("from", []))
            and [entry.get("port") for entry in scrape_rules[0].get("ports", [])] == [port],
            f"{stage}: NetworkPolicy {SCRAPE_POLICY} must hold one rule admitting pods (no address range) on port {port}",
        )
        self.check(
            any(
                peer_namespace == "monitoring" and labels.get("app.kubernetes.io/name") == "prometheus" and port in ports
                for peer_namespace, labels, ports in peers(scrape.get("spec", {}).get("ingress", []), "from")
            ),
            f"{stage}: NetworkPolicy prometheus-scrapes-app does not admit Prometheus (namespace monitoring) on port {port}",
        )

        collector = self.collector_values.get("fullnameOverride")
        endpoint = objects.get(("ConfigMap", "postech-app-config"), {}).get("data", {}).get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        self.check(
            endpoint == f"http://{collector}.tracing.svc.cluster.local:4318",
            f"{stage}: ConfigMap OTEL_EXPORTER_OTLP_ENDPOINT={endpoint!r}, expected the collector http://{collector}.tracing.svc.cluster.local:4318",
        )
        traces = objects.get(("NetworkPolicy", "app-exports-traces"), {})
        self.check(selects_app(traces), f"{stage}: NetworkPolicy app-exports-traces does not select the app's pods")
        self.check(
            any(
                peer_namespace == "tracing" and labels.get("app.kubernetes.io/name") == "opentelemetry-collector" and 4318 in ports
                for peer_namespace, labels, ports in peers(traces.get("spec", {}).get("egress", []), "to")
            ),
            f"{stage}: NetworkPolicy app-exports-traces does not let the app reach the collector (namespace tracing) on 4318",
        )

    def compare(self, stages: dict[str, dict]) -> None:
        if len(stages) < 2:
            return
        def shape(objects: dict) -> tuple:
            hpa = objects.get(("HorizontalPodAutoscaler", "postech-app"), {}).get("spec", {})
            deployment = objects.get(("Deployment", "postech-app"), {})
            resources = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0].get("resources")
            return (hpa.get("minReplicas"), hpa.get("maxReplicas")), resources
        shapes = {stage: shape(objects) for stage, objects in stages.items()}
        values = list(shapes.values())
        self.check(values[0][0] != values[1][0], f"overlays share HPA bounds {values[0][0]}; stages should differ")
        self.check(values[0][1] != values[1][1], "overlays share container resources; stages should differ")

    def platform(self, path: Path) -> None:
        objects = {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc}
        namespace = objects.get(("Namespace", self.root["app_namespace"]))
        self.check(namespace is not None, f"platform: no Namespace {self.root['app_namespace']} (terraform app_namespace)")
        labels = (namespace or {}).get("metadata", {}).get("labels", {})
        for mode in ("enforce", "warn", "audit"):
            self.check(
                labels.get(f"pod-security.kubernetes.io/{mode}") == "restricted",
                f"platform: Namespace {self.root['app_namespace']} does not {mode} Pod Security restricted",
            )
        for variable in ("app_service_account", "migrator_service_account"):
            account = objects.get(("ServiceAccount", self.iam[variable]))
            where = f"platform: ServiceAccount {self.iam[variable]} (terraform/iam {variable})"
            self.check(account is not None, f"{where} is missing")
            if account is None:
                continue
            self.check(account["metadata"].get("namespace") == self.root["app_namespace"], f"{where} is not in the app namespace")
            self.check(account.get("automountServiceAccountToken") is False, f"{where} automounts its token")
            self.check(
                "eks.amazonaws.com/role-arn" in account["metadata"].get("annotations", {}),
                f"{where} has no IRSA role annotation for bootstrap-cluster.sh to fill",
            )

    def run(self, rendered: dict[str, Path]) -> int:
        if "platform" in rendered:
            self.platform(rendered.pop("platform"))
        stages = {stage: self.stage(stage, path) for stage, path in rendered.items()}
        self.compare(stages)
        for failure in self.failures:
            print(f"FAILED {failure}")
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"manifest checks: {len(self.failures)} of {total} checks FAILED")
            return 1
        print(f"manifest checks: all {total} checks passed ({', '.join(rendered)})")
        return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pairs = dict(argument.split("=", 1) for argument in sys.argv[2:])
    sys.exit(ManifestChecker(Path(sys.argv[1])).run({stage: Path(path) for stage, path in pairs.items()}))
