# The listener's certificate: public ACM (free, renewed by ACM), validated by a DNS record in
# the stage's public hosted zone. API Gateway trusts only publicly trusted CAs for private
# integrations, which rules out a private CA.
data "aws_route53_zone" "public" {
  name         = var.dns_zone_name
  private_zone = false
}

resource "aws_acm_certificate" "app" {
  domain_name       = var.tls_server_name
  validation_method = "DNS"

  tags = { Name = "${var.name}-app" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "app_certificate_validation" {
  for_each = {
    for option in aws_acm_certificate.app.domain_validation_options : option.domain_name => option
  }

  zone_id         = data.aws_route53_zone.public.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "app" {
  certificate_arn         = aws_acm_certificate.app.arn
  validation_record_fqdns = [for record in aws_route53_record.app_certificate_validation : record.fqdn]
}
