# Edge functions -> load balancer -> node port: each hop admits the previous hop's security
# group only, no address range in any ingress rule.

resource "aws_security_group" "edge_functions" {
  #checkov:skip=CKV2_AWS_5:Attached by postech-lambda-functions to its functions' VPC configuration (SSM /postech/<stage>/eks/edge-functions-security-group-id).
  name        = "${var.name}-edge-functions"
  description = "Lambda functions of the auth edge of ${var.name}: HTTPS to AWS APIs and to the OTLP load balancer"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-edge-functions" }

  lifecycle {
    create_before_destroy = true
  }
}

# Cognito (the functions' AdminGetUser, AdminInitiateAuth...) has no interface endpoint in this
# VPC: it is reached through the NAT gateway, at addresses AWS does not publish per API, hence
# the range. Secrets Manager resolves to its interface endpoint (../endpoints admits this
# group) and is covered by the same rule.
resource "aws_vpc_security_group_egress_rule" "edge_functions_to_aws_apis" {
  security_group_id = aws_security_group.edge_functions.id
  description       = "HTTPS to the AWS APIs (Cognito through the NAT gateway, Secrets Manager through its endpoint)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "edge_functions_to_otlp" {
  security_group_id            = aws_security_group.edge_functions.id
  description                  = "OTLP/HTTP over TLS to the collector's load balancer"
  referenced_security_group_id = aws_security_group.load_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_security_group" "load_balancer" {
  name        = "${var.name}-otlp-lb"
  description = "Internal OTLP load balancer of ${var.name}: from the edge functions, to the collector's node port"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-otlp-lb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer_from_edge_functions" {
  #checkov:skip=CKV_AWS_260:False positive: the rule admits the edge functions' security group (referenced_security_group_id), no address range; scripts/check_terraform.py asserts that no ingress rule has one.
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "OTLP/HTTP over TLS from the edge functions"
  referenced_security_group_id = aws_security_group.edge_functions.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_nodes" {
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "The collector's NodePort on the nodes (traffic and health checks)"
  referenced_security_group_id = var.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_load_balancer" {
  security_group_id            = var.node_security_group_id
  description                  = "The collector's NodePort from the OTLP load balancer"
  referenced_security_group_id = aws_security_group.load_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
}
