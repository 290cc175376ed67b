output "endpoint" {
  description = "OTLP/HTTP base URL of the collector for the edge functions (their OTEL_EXPORTER_OTLP_ENDPOINT); resolves inside the VPC only."
  value       = "https://${var.server_name}"
  # Published once the listener serves the validated certificate and the name resolves.
  depends_on = [aws_lb_listener.otlp, aws_route53_record.otlp]
}

output "edge_functions_security_group_id" {
  description = "Security group to attach to the edge functions (HTTPS to the AWS APIs and to the OTLP load balancer)."
  value       = aws_security_group.edge_functions.id
}

output "load_balancer_arn" {
  description = "The internal OTLP load balancer."
  value       = aws_lb.otlp.arn
}

output "load_balancer_security_group_id" {
  description = "Security group of the OTLP load balancer (the nodes admit the collector's NodePort from it)."
  value       = aws_security_group.load_balancer.id
}

output "private_zone_id" {
  description = "Private hosted zone that resolves the endpoint's name inside the VPC."
  value       = aws_route53_zone.otlp.zone_id
}
