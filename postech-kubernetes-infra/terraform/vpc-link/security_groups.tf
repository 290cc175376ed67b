# VPC link → load balancer → node port. Each hop admits the previous hop's security group
# only: no address range anywhere.

resource "aws_security_group" "vpc_link" {
  #checkov:skip=CKV2_AWS_5:Attached by postech-lambda-functions to API Gateway's VPC link (SSM /postech/<stage>/eks/vpc-link-security-group-id).
  name        = "${var.name}-vpc-link"
  description = "API Gateway VPC link of ${var.name}: may reach the app load balancer only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-vpc-link" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "vpc_link_to_load_balancer" {
  security_group_id            = aws_security_group.vpc_link.id
  description                  = "HTTPS to the app load balancer"
  referenced_security_group_id = aws_security_group.load_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_security_group" "load_balancer" {
  name        = "${var.name}-app-lb"
  description = "Internal app load balancer of ${var.name}: from the VPC link, to the node port"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-app-lb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer_from_vpc_link" {
  #checkov:skip=CKV_AWS_260:False positive: the rule admits the VPC link's security group (referenced_security_group_id), no address range; scripts/check_terraform.py asserts that no ingress rule has one.
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "HTTPS from API Gateway's VPC link"
  referenced_security_group_id = aws_security_group.vpc_link.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_nodes" {
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "The app Service's NodePort on the nodes (traffic and health checks)"
  referenced_security_group_id = var.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_load_balancer" {
  security_group_id            = var.node_security_group_id
  description                  = "The app Service's NodePort from the internal load balancer"
  referenced_security_group_id = aws_security_group.load_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
}
