# Traces: the OpenTelemetry Collector receives OTLP from the app and forwards to Jaeger v2,
# which stores spans in Badger on an encrypted gp3 volume (README, "Traces": why Badger).

locals {
  opentelemetry_collector_version = "0.170.0"
  jaeger_chart_version            = "4.11.1"
}

resource "kubernetes_persistent_volume_claim_v1" "jaeger_badger" {
  metadata {
    name      = "jaeger-badger"
    namespace = kubernetes_namespace_v1.this["tracing"].metadata[0].name
  }

  spec {
    storage_class_name = kubernetes_storage_class_v1.gp3_encrypted.metadata[0].name
    access_modes       = ["ReadWriteOnce"]

    resources {
      requests = { storage = "${var.trace_volume_gib}Gi" }
    }
  }

  # WaitForFirstConsumer: the volume is created when Jaeger's pod is scheduled.
  wait_until_bound = false
}

resource "helm_release" "jaeger" {
  name        = "jaeger"
  repository  = "https://jaegertracing.github.io/helm-charts"
  chart       = "jaeger"
  version     = local.jaeger_chart_version
  namespace   = kubernetes_namespace_v1.this["tracing"].metadata[0].name
  timeout     = 600
  max_history = 5
  atomic      = true

  values = [
    file("${path.module}/values/jaeger.yaml"),
    yamlencode({
      userconfig = {
        extensions = {
          jaeger_storage = {
            backends = { badger_store = { badger = { ttl = { spans = "${var.trace_retention_hours}h" } } } }
          }
        }
      }
    }),
  ]

  depends_on = [kubernetes_persistent_volume_claim_v1.jaeger_badger]
}

resource "helm_release" "opentelemetry_collector" {
  name        = "opentelemetry-collector"
  repository  = "https://open-telemetry.github.io/opentelemetry-helm-charts"
  chart       = "opentelemetry-collector"
  version     = local.opentelemetry_collector_version
  namespace   = kubernetes_namespace_v1.this["tracing"].metadata[0].name
  timeout     = 600
  max_history = 5
  atomic      = true

  values = [file("${path.module}/values/opentelemetry-collector.yaml")]

  # Its ServiceMonitor needs the CRDs of kube-prometheus-stack; its exporter, Jaeger.
  depends_on = [helm_release.kube_prometheus_stack, helm_release.jaeger]
}

# The edge functions' way in (../edge-otlp): a NodePort Service on the collector pods' OTLP/HTTP
# port, the target of the internal OTLP load balancer. externalTrafficPolicy Cluster: every
# node of the target group forwards to a collector pod wherever it runs (the two replicas are
# not on every node); the pods see a node's address as the source, and the tracing namespace
# has no NetworkPolicy to admit it in (the collector's Service is cluster-wide, as for the
# app's spans). OTLP/gRPC stays cluster-internal.
resource "kubernetes_service_v1" "otel_collector_edge" {
  metadata {
    name      = "otel-collector-edge"
    namespace = kubernetes_namespace_v1.this["tracing"].metadata[0].name
    labels    = { "app.kubernetes.io/component" = "edge-otlp" }
  }

  spec {
    type                    = "NodePort"
    external_traffic_policy = "Cluster"
    # The chart's selector labels (release opentelemetry-collector, mode deployment).
    selector = {
      "app.kubernetes.io/name"     = "opentelemetry-collector"
      "app.kubernetes.io/instance" = helm_release.opentelemetry_collector.name
      component                    = "standalone-collector"
    }

    port {
      name        = "otlp-http"
      protocol    = "TCP"
      port        = 4318
      target_port = 4318
      node_port   = var.edge_otlp_node_port
    }
  }
}
