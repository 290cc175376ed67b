# The workloads' security group: what postech-database-infra admits on 5432 (SSM
# /postech/<stage>/eks/workload-security-group-id). Security groups for pods: the VPC CNI
# (ENABLE_POD_ENI, main.tf) gives each pod that a SecurityGroupPolicy selects a branch ENI
# carrying this group (k8s/platform/security-group-policies.yaml: the app, the migration Job,
# database-infra's migration tunnel) — and only those pods. The nodes do not carry it, so
# Prometheus, Grafana, Fluent Bit or anything else scheduled on the app nodes cannot pass the
# database's security group, whatever their NetworkPolicy says.
#
# A branch ENI carries only this group (the node's groups do not apply to it), so every path
# the selected pods use is listed below.
resource "aws_security_group" "workload" {
  #checkov:skip=CKV2_AWS_5:Attached to the selected pods' branch ENIs by the VPC resource controller (SecurityGroupPolicy in k8s/platform), which checkov cannot see.
  name        = "${var.cluster_name}-workloads"
  description = "postech app workloads of ${var.cluster_name}: the source the database admits"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.cluster_name}-workloads" }

  lifecycle {
    create_before_destroy = true
  }
}

# The app's port from the internal load balancer (externalTrafficPolicy Local keeps its
# address through the node port) and from the nodes: the kubelet's probes and Prometheus,
# which runs on a node's own ENI.
resource "aws_vpc_security_group_ingress_rule" "workload_http_from_load_balancer" {
  security_group_id            = aws_security_group.workload.id
  description                  = "App port from the internal load balancer"
  referenced_security_group_id = var.load_balancer_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

resource "aws_vpc_security_group_ingress_rule" "workload_http_from_nodes" {
  security_group_id            = aws_security_group.workload.id
  description                  = "App port from the nodes (kubelet probes, Prometheus)"
  referenced_security_group_id = module.eks.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

# Out: cluster DNS and the trace collector (pods on the nodes' ENIs), PostgreSQL in the
# private subnets (the database's own group admits this group only), HTTPS (the VPC
# endpoints, Cognito, Mercado Pago through the NAT gateway).
resource "aws_vpc_security_group_egress_rule" "workload_to_nodes" {
  for_each = {
    dns-udp = { protocol = "udp", port = 53 }
    dns-tcp = { protocol = "tcp", port = 53 }
    otlp    = { protocol = "tcp", port = 4318 }
  }

  security_group_id            = aws_security_group.workload.id
  description                  = "${each.key} to pods on the nodes' ENIs"
  referenced_security_group_id = module.eks.node_security_group_id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "workload_postgres" {
  for_each = toset(var.database_subnet_cidrs)

  security_group_id = aws_security_group.workload.id
  description       = "PostgreSQL in the database subnets"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_egress_rule" "workload_https" {
  security_group_id = aws_security_group.workload.id
  description       = "HTTPS: VPC endpoints, Cognito, Mercado Pago"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The pods' answers to the node-ENI pods they talk to come back through the node group; the
# nodes must also admit the selected pods (DNS and OTLP on the node group's pods).
resource "aws_vpc_security_group_ingress_rule" "nodes_from_workloads" {
  for_each = {
    dns-udp = { protocol = "udp", port = 53 }
    dns-tcp = { protocol = "tcp", port = 53 }
    otlp    = { protocol = "tcp", port = 4318 }
  }

  security_group_id            = module.eks.node_security_group_id
  description                  = "${each.key} from the workload pods (security groups for pods)"
  referenced_security_group_id = aws_security_group.workload.id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
}
