# The listener's certificate: public ACM, validated in the stage's public hosted zone
# (../public-certificate); the exporter verifies it against the public CAs it already trusts,
# so nothing is distributed to the functions. The name itself resolves inside the VPC only: a
# private hosted zone for exactly `server_name` (not for the public zone, which it would
# shadow inside the VPC), whose apex is an alias of the load balancer.
module "certificate" {
  source = "../public-certificate"

  name          = "${var.name}-otlp"
  domain_name   = var.server_name
  dns_zone_name = var.dns_zone_name
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
