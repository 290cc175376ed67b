# The stage's PostgreSQL: network pieces read from what postech-kubernetes-infra wrote to
# SSM, then the subnet group, the parameter group and the instance, each in its folder.

locals {
  name = "postech-${var.stage}"

  # Written by postech-kubernetes-infra (applied first; ARCHITECTURE.md, apply order).
  ssm_in = {
    vpc_id                     = "/postech/${var.stage}/vpc/id"
    private_subnet_ids         = "/postech/${var.stage}/vpc/private-subnet-ids"
    workload_security_group_id = "/postech/${var.stage}/eks/workload-security-group-id"
  }
}

data "aws_ssm_parameter" "vpc_id" {
  name = local.ssm_in.vpc_id
}

data "aws_ssm_parameter" "private_subnet_ids" {
  name = local.ssm_in.private_subnet_ids
}

data "aws_ssm_parameter" "workload_security_group_id" {
  name = local.ssm_in.workload_security_group_id
}

module "subnet_group" {
  source = "./subnet-groups"

  name       = local.name
  subnet_ids = split(",", nonsensitive(data.aws_ssm_parameter.private_subnet_ids.value))
}

module "parameter_group" {
  source = "./parameter-groups"

  name   = local.name
  family = var.parameter_group_family
}

module "rds" {
  source = "./rds"

  providers = {
    aws        = aws
    aws.backup = aws.backup
  }

  identifier                      = local.name
  vpc_id                          = nonsensitive(data.aws_ssm_parameter.vpc_id.value)
  allowed_security_group_id       = nonsensitive(data.aws_ssm_parameter.workload_security_group_id.value)
  db_subnet_group_name            = module.subnet_group.name
  parameter_group_name            = module.parameter_group.name
  engine_version                  = var.engine_version
  parameter_group_family          = var.parameter_group_family
  instance_class                  = var.instance_class
  allocated_storage_gib           = var.allocated_storage_gib
  max_allocated_storage_gib       = var.max_allocated_storage_gib
  multi_az                        = var.multi_az
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = var.skip_final_snapshot
  backup_retention_days           = var.backup_retention_days
  database_name                   = var.database_name
  master_username                 = var.master_username
  monitoring_interval_seconds     = var.monitoring_interval_seconds
  monitoring_role_arn             = var.monitoring_role_arn
  log_retention_days              = var.log_retention_days
  alarm_email                     = var.alarm_email
  max_connections_alarm_threshold = var.max_connections_alarm_threshold

  freeable_memory_alarm_threshold_mib = var.freeable_memory_alarm_threshold_mib

  read_replica              = var.read_replica
  replica_availability_zone = var.replica_availability_zone
  backup_replication_region = var.backup_replication_region
}
