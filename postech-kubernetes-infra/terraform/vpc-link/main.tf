# The private entry to the app: API Gateway's VPC link (postech-lambda-functions) →
# internal ALB listener (SSM /postech/<stage>/eks/app-listener-arn) → the app Service's
# NodePort on every app node → a ready postech-app pod.
#
# Instance targets on a fixed NodePort keep this entirely in Terraform: no in-cluster load
# balancer controller to install, grant IAM to and upgrade. The Auto Scaling group of the
# node group registers new nodes in the target group by itself.
resource "aws_lb" "app" {
  #checkov:skip=CKV_AWS_91:Access logs need a bucket with an ELB delivery policy; every request reaching this listener first passes API Gateway, whose access logs (postech-lambda-functions) record it.
  #checkov:skip=CKV2_AWS_20:No HTTP-to-HTTPS redirect: the only listener is the private HTTP hop behind API Gateway, which terminates TLS (see the listener's CKV_AWS_2).
  #checkov:skip=CKV2_AWS_28:Internal load balancer reachable only from the VPC link's security group; the WAF sits on API Gateway, in front of the VPC link.
  name               = "${var.name}-app"
  internal           = true
  load_balancer_type = "application"
  subnets            = var.private_subnet_ids
  security_groups    = [aws_security_group.load_balancer.id]

  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 60
}

resource "aws_lb_target_group" "app" {
  #checkov:skip=CKV_AWS_378:Plain HTTP from the load balancer to the node port stays inside the private subnets; TLS terminates at API Gateway (see the listener).
  name                 = "${var.name}-app"
  vpc_id               = var.vpc_id
  target_type          = "instance"
  protocol             = "HTTP"
  port                 = var.node_port
  deregistration_delay = 30

  # /ready answers 200 only when the database answers; /health would keep routing to a pod
  # that cannot serve.
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
  #checkov:skip=CKV_AWS_2:Internal listener reached only by API Gateway's VPC link; TLS terminates at API Gateway. An HTTPS listener here would need a private CA (ACM PCA) for a name nobody resolves.
  #checkov:skip=CKV_AWS_103:Same listener: no TLS on the private hop, see CKV_AWS_2.
  load_balancer_arn = aws_lb.app.arn
  protocol          = "HTTP"
  port              = 80

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
