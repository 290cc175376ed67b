output "certificate_arn" {
  description = "The certificate's ARN once ACM has validated it: a listener using it waits for the validation."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "domain_name" {
  description = "The name on the certificate."
  value       = aws_acm_certificate.this.domain_name
}
