output "load_balancer_arn" {
  description = "Internal load balancer in front of the app: the integration target of API Gateway's private integrations."
  value       = aws_lb.app.arn
}

output "tls_server_name" {
  description = "Name on the HTTPS listener's certificate: the host of the integration URIs."
  value       = module.certificate.domain_name
  # Published once the listener serves the validated certificate.
  depends_on = [aws_lb_listener.app]
}

output "listener_arn" {
  description = "HTTPS listener of the internal load balancer."
  value       = aws_lb_listener.app.arn
}

output "subnet_cidrs" {
  description = "The load balancer's subnets, the only sources the app's NetworkPolicy admits."
  value       = aws_subnet.load_balancer[*].cidr_block
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

output "load_balancer_security_group_id" {
  description = "Security group of the internal load balancer (the workload pods admit the app port from it)."
  value       = aws_security_group.load_balancer.id
}
