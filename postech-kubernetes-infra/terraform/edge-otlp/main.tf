# The OTLP entry for the edge functions (postech-lambda-functions' `authenticate` and
# `validate_jwt`, which run in the VPC's private subnets with the security group of
# security_groups.tf): an internal Network Load Balancer whose TLS listener serves
# `https://<server_name>` and forwards OTLP/HTTP to the collector's NodePort Service
# (monitoring/tracing.tf, otel-collector-edge) on every app node, then to a collector pod's
# 4318. The collector masks, batches and forwards to Jaeger as it does for the app's spans, so
# gateway -> authorizer -> app land in one trace store.
#
# Why a Network Load Balancer: OTLP/HTTP needs no HTTP routing, an NLB costs less per hour
# than an ALB at this traffic, and with a security group it admits the edge functions' group
# only. TLS ends here (public ACM certificate, tls.tf); the hop to the nodes is plain TCP inside
# the VPC, as the app's is. Instance targets on a fixed NodePort keep everything in Terraform,
# as ../vpc-link does.
resource "aws_lb" "otlp" {
  #checkov:skip=CKV_AWS_91:Access logs need a bucket with an ELB delivery policy; the only clients are the two edge functions (security group), whose invocations are logged by Lambda and traced in Jaeger.
  name               = "${var.name}-otlp"
  internal           = true
  load_balancer_type = "network"
  subnets            = var.subnet_ids
  security_groups    = [aws_security_group.load_balancer.id]

  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection

  tags = { Name = "${var.name}-otlp" }
}

resource "aws_lb_target_group" "otlp" {
  name                 = "${var.name}-otlp"
  vpc_id               = var.vpc_id
  target_type          = "instance"
  protocol             = "TCP"
  port                 = var.node_port
  deregistration_delay = 30
  # The nodes see the load balancer's own addresses as the source, so their security group
  # admits it by reference (no client address range anywhere).
  preserve_client_ip = false

  # The NodePort accepts a connection on every node (externalTrafficPolicy Cluster: kube-proxy
  # forwards to a collector pod wherever it runs).
  health_check {
    enabled             = true
    protocol            = "TCP"
    port                = "traffic-port"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "otlp" {
  load_balancer_arn = aws_lb.otlp.arn
  protocol          = "TLS"
  port              = 443
  # TLS 1.3 and 1.2 with forward secrecy only; the exporter (rustls) speaks both.
  ssl_policy      = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn = module.certificate.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.otlp.arn
  }
}

resource "aws_autoscaling_attachment" "otlp_nodes" {
  #checkov:skip=CKV2_AWS_15:The Auto Scaling group belongs to the EKS managed node group; node health stays with EKS and pod health with Kubernetes probes (as for ../vpc-link's target group).
  autoscaling_group_name = var.node_autoscaling_group_name
  lb_target_group_arn    = aws_lb_target_group.otlp.arn
}
