# The private entry to the app: API Gateway's VPC link (postech-lambda-functions) → the
# internal ALB's HTTPS listener (the load balancer's ARN is SSM
# /postech/<stage>/eks/app-load-balancer-arn, the REST API's integration target) → the app
# Service's NodePort on every app node → a ready postech-app pod.
#
# TLS on the hop from API Gateway: the listener serves an ACM certificate for
# `tls_server_name`, which is the host of every integration URI; API Gateway sends it as SNI
# and verifies the certificate against it (public CA, so nothing to distribute). The name
# needs no DNS record of its own: the VPC link reaches the load balancer by ARN.
#
# The load balancer lives in subnets of its own (`subnet_cidr`, nothing else in them), so the
# app's NetworkPolicy can admit exactly its addresses: with `externalTrafficPolicy: Local` on
# the Service (k8s/base/service.yaml) the pods see the load balancer's address as the source.
#
# Instance targets on a fixed NodePort keep this entirely in Terraform: no in-cluster load
# balancer controller to install, grant IAM to and upgrade. The Auto Scaling group of the
# node group registers new nodes in the target group by itself.
resource "aws_lb" "app" {
  #checkov:skip=CKV_AWS_91:Access logs need a bucket with an ELB delivery policy; every request reaching this listener first passes API Gateway, whose access logs (postech-lambda-functions) record it.
  #checkov:skip=CKV2_AWS_28:Internal load balancer reachable only from the VPC link's security group; the WAF web ACL is on the REST API stage in front of the VPC link (postech-lambda-functions infra/waf.yml), so every request reaching this load balancer has passed it.
  name               = "${var.name}-app"
  internal           = true
  load_balancer_type = "application"
  subnets            = aws_subnet.load_balancer[*].id
  security_groups    = [aws_security_group.load_balancer.id]

  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 60
}

resource "aws_lb_target_group" "app" {
  #checkov:skip=CKV_AWS_378:TLS from API Gateway ends at this load balancer; the hop to the node port stays inside the VPC, admitted by security group (load balancer only) and by the app's NetworkPolicy (load balancer subnets only). The app serves no TLS itself.
  name                 = "${var.name}-app"
  vpc_id               = var.vpc_id
  target_type          = "instance"
  protocol             = "HTTP"
  port                 = var.node_port
  deregistration_delay = 30

  # /ready answers 200 only when the database answers; /health would keep routing to a pod
  # that cannot serve. With externalTrafficPolicy Local, a node without a ready app pod fails
  # it too and gets no traffic.
  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/ready"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "app" {
  load_balancer_arn = aws_lb.app.arn
  protocol          = "HTTPS"
  port              = 443
  # TLS 1.3 and 1.2 with forward secrecy only; API Gateway speaks both.
  ssl_policy      = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn = module.certificate.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_autoscaling_attachment" "app_nodes" {
  #checkov:skip=CKV2_AWS_15:The Auto Scaling group belongs to the EKS managed node group; ELB health checks there would replace every node when the database is down (/ready fails), so node health stays with EKS and pod health with Kubernetes probes.
  autoscaling_group_name = var.node_autoscaling_group_name
  lb_target_group_arn    = aws_lb_target_group.app.arn
}
