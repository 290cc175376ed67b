output "interface_endpoint_ids" {
  description = "Interface endpoint id per AWS service."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}

output "s3_endpoint_id" {
  description = "S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "security_group_id" {
  description = "Security group of the interface endpoints' network interfaces."
  value       = aws_security_group.endpoints.id
}
