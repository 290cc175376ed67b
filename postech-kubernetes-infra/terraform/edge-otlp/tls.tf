# The listener's certificate: public ACM (free, renewed by ACM), validated by a DNS record in
# the stage's public hosted zone; the exporter verifies it against the public CAs it already
# trusts, so nothing is distributed to the functions. The name itself resolves inside the VPC
# only: a private hosted zone for exactly `server_name` (not for the public zone, which it
# would shadow inside the VPC), whose apex is an alias of the load balancer.
data "aws_route53_zone" "public" {
  name         = var.dns_zone_name
  private_zone = false
}

resource "aws_acm_certificate" "otlp" {
  domain_name       = var.server_name
  validation_method = "DNS"

  tags = { Name = "${var.name}-otlp" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "otlp_certificate_validation" {
  for_each = {
    for option in aws_acm_certificate.otlp.domain_validation_options : option.domain_name => option
  }

  zone_id         = data.aws_route53_zone.public.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "otlp" {
  certificate_arn         = aws_acm_certificate.otlp.arn
  validation_record_fqdns = [for record in aws_route53_record.otlp_certificate_validation : record.fqdn]
}

resource "aws_route53_zone" "otlp" {
  # Private (the vpc block): checkov's DNSSEC and query-logging checks pass private zones.
  name    = var.server_name
  comment = "${var.name}: the edge functions' OTLP endpoint, inside the VPC only"

  vpc {
    vpc_id = var.vpc_id
  }

  tags = { Name = "${var.name}-otlp" }
}

resource "aws_route53_record" "otlp" {
  zone_id = aws_route53_zone.otlp.zone_id
  name    = var.server_name
  type    = "A"

  alias {
    name                   = aws_lb.otlp.dns_name
    zone_id                = aws_lb.otlp.zone_id
    evaluate_target_health = true
  }
}
