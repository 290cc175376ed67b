# The listener's certificate: public ACM, validated in the stage's public hosted zone
# (../public-certificate). API Gateway trusts only publicly trusted CAs for private
# integrations, which rules out a private CA.
module "certificate" {
  source = "../public-certificate"

  name          = "${var.name}-app"
  domain_name   = var.tls_server_name
  dns_zone_name = var.dns_zone_name
}

# The certificate moved into the shared module: the same resources, not new ones.
moved {
  from = aws_acm_certificate.app
  to   = module.certificate.aws_acm_certificate.this
}

moved {
  from = aws_route53_record.app_certificate_validation
  to   = module.certificate.aws_route53_record.validation
}

moved {
  from = aws_acm_certificate_validation.app
  to   = module.certificate.aws_acm_certificate_validation.this
}
