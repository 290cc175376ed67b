output "listener_arn" {
  description = "HTTP listener of the internal load balancer (API Gateway VPC link integration URI)."
  value       = aws_lb_listener.app.arn
}

output "vpc_link_security_group_id" {
  description = "Security group to attach to API Gateway's VPC link."
  value       = aws_security_group.vpc_link.id
}

output "load_balancer_dns_name" {
  description = "Internal DNS name of the load balancer (debugging from inside the VPC)."
  value       = aws_lb.app.dns_name
}

output "target_group_arn" {
  description = "Target group of the app nodes."
  value       = aws_lb_target_group.app.arn
}
