# The stage's platform: network, cluster, image registry, workload IAM and the internal load
# balancer that API Gateway's VPC link reaches, each in its folder. ssm.tf publishes what
# the other repositories read.

locals {
  name = "postech-${var.stage}"
}

module "network" {
  source = "./network"

  name               = local.name
  cluster_name       = local.name
  cidr               = var.vpc_cidr
  availability_zones = var.availability_zones
  single_nat_gateway = var.single_nat_gateway
  log_retention_days = var.log_retention_days
  flow_log_role_arn  = var.lab_role_arn
}

module "eks" {
  source = "./eks"

  cluster_name                      = local.name
  kubernetes_version                = var.kubernetes_version
  vpc_id                            = module.network.vpc_id
  private_subnet_ids                = module.network.private_subnet_ids
  public_access_cidrs               = var.cluster_public_access_cidrs
  node_instance_types               = var.node_instance_types
  node_capacity_type                = var.node_capacity_type
  node_min_size                     = var.node_min_size
  node_max_size                     = var.node_max_size
  node_desired_size                 = var.node_desired_size
  log_retention_days                = var.log_retention_days
  app_namespace                     = var.app_namespace
  cluster_admin_principal_arns      = var.cluster_admin_principal_arns
  namespace_deployer_principal_arns = var.namespace_deployer_principal_arns
  existing_role_arn                 = var.lab_role_arn
  addon_versions                    = var.addon_versions
  app_port                          = var.app_port
  load_balancer_security_group_id   = module.vpc_link.load_balancer_security_group_id
  # The database's subnet group is the private subnets (postech-database-infra reads
  # /postech/<stage>/vpc/private-subnet-ids).
  database_subnet_cidrs = module.network.private_subnet_cidrs
}

module "ecr" {
  source = "./ecr"

  name_prefix           = local.name
  repository_names      = ["postech-app", "postech-migrator"]
  image_retention_count = var.image_retention_count
}

module "iam" {
  source = "./iam"

  count = var.lab_role_arn == null ? 1 : 0

  name              = local.name
  stage             = var.stage
  oidc_provider_arn = module.eks.oidc_provider_arn
  namespace         = var.app_namespace

  registration_email_domain = var.registration_email_domain
}

module "vpc_link" {
  source = "./vpc-link"

  name                        = local.name
  vpc_id                      = module.network.vpc_id
  availability_zones          = var.availability_zones
  subnet_cidr                 = var.load_balancer_cidr
  tls_server_name             = var.app_tls_server_name
  dns_zone_name               = var.dns_zone_name
  node_security_group_id      = module.eks.node_security_group_id
  node_autoscaling_group_name = module.eks.node_autoscaling_group_name
  node_port                   = var.app_node_port
  deletion_protection         = var.load_balancer_deletion_protection
}

# The edge functions' way to the collector (postech-lambda-functions' authenticate and
# validate_jwt run in the private subnets with this module's security group): an internal NLB
# with a TLS listener on `otlp_server_name`, resolvable inside the VPC only, in front of the
# collector's NodePort Service (README.md, "Traces").
module "edge_otlp" {
  source = "./edge-otlp"

  name                        = local.name
  vpc_id                      = module.network.vpc_id
  subnet_ids                  = module.network.private_subnet_ids
  server_name                 = var.otlp_server_name
  dns_zone_name               = var.dns_zone_name
  node_security_group_id      = module.eks.node_security_group_id
  node_autoscaling_group_name = module.eks.node_autoscaling_group_name
  node_port                   = var.otlp_node_port
  deletion_protection         = var.load_balancer_deletion_protection
}

# Deploy steps that need the private cluster API (namespace and ServiceAccounts, the app's
# migration Job and rollout, the database migration) run in CodeBuild inside the VPC. None
# under the AWS Academy fallback, where no role can be created (README.md, "Deploying").
module "deploy_executor" {
  source = "./deploy-executor"

  count = var.lab_role_arn == null ? 1 : 0

  name                      = local.name
  stage                     = var.stage
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  cluster_name              = module.eks.cluster_name
  cluster_security_group_id = module.eks.cluster_security_group_id
  app_namespace             = var.app_namespace
  log_retention_days        = var.log_retention_days
}
