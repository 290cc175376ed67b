locals {
  # Named zones, not "the first N available": subnets never move when AWS adds a zone.
  azs = var.availability_zones

  # /20 per subnet from a /16: private subnets first (pods take VPC addresses with the VPC
  # CNI, so they get the room), public ones after (load balancers and NAT gateways only).
  private_subnets = [for index, _ in local.azs : cidrsubnet(var.cidr, 4, index)]
  public_subnets  = [for index, _ in local.azs : cidrsubnet(var.cidr, 4, index + 8)]
}

module "vpc" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact release (version below); the registry does not offer commit pinning, and upgrades are reviewed in pull requests with their plan.
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.21.0"

  name = var.name
  cidr = var.cidr
  azs  = local.azs

  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets

  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway

  enable_dns_hostnames = true
  enable_dns_support   = true

  # Nothing gets a public address by default; the default security group denies everything.
  map_public_ip_on_launch       = false
  manage_default_security_group = true
  default_security_group_egress = []

  # Subnet discovery for Kubernetes load balancers (internal ones in the private tier).
  public_subnet_tags = {
    "kubernetes.io/role/elb" = "1"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb"           = "1"
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  }

  # Flow logs of every ENI (accepted and rejected) to CloudWatch Logs, encrypted.
  enable_flow_log                                 = true
  flow_log_traffic_type                           = "ALL"
  flow_log_max_aggregation_interval               = 60
  flow_log_destination_type                       = "cloud-watch-logs"
  create_flow_log_cloudwatch_log_group            = true
  flow_log_cloudwatch_log_group_retention_in_days = var.log_retention_days
  flow_log_cloudwatch_log_group_kms_key_id        = module.flow_logs_key.key_arn
  create_flow_log_cloudwatch_iam_role             = var.flow_log_role_arn == null
  flow_log_cloudwatch_iam_role_arn                = var.flow_log_role_arn
}
