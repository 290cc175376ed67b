module "db" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact release (version below); the registry does not offer commit pinning, and upgrades are reviewed in pull requests with their plan.
  source  = "terraform-aws-modules/rds/aws"
  version = "6.11.0"

  identifier           = var.identifier
  engine               = "postgres"
  engine_version       = var.engine_version
  family               = var.parameter_group_family
  major_engine_version = split(".", var.engine_version)[0]
  instance_class       = var.instance_class

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage_gib
  max_allocated_storage = var.max_allocated_storage_gib
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.database.arn

  db_name  = var.database_name
  username = var.master_username
  port     = 5432

  # RDS generates the master password, stores it in Secrets Manager (encrypted with our
  # key) and rotates it; it never appears in Terraform code or state.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.database.arn

  multi_az                            = var.multi_az
  publicly_accessible                 = false
  create_db_subnet_group              = false
  db_subnet_group_name                = var.db_subnet_group_name
  vpc_security_group_ids              = [aws_security_group.database.id]
  iam_database_authentication_enabled = true

  create_db_parameter_group = false
  parameter_group_name      = var.parameter_group_name
  create_db_option_group    = false

  # Backups also enable point-in-time recovery within the retention window.
  backup_retention_period          = var.backup_retention_days
  backup_window                    = "05:00-06:00"
  maintenance_window               = "Mon:06:30-Mon:07:30"
  copy_tags_to_snapshot            = true
  delete_automated_backups         = false
  deletion_protection              = var.deletion_protection
  skip_final_snapshot              = var.skip_final_snapshot
  final_snapshot_identifier_prefix = "${var.identifier}-final"
  auto_minor_version_upgrade       = true
  apply_immediately                = false

  enabled_cloudwatch_logs_exports        = ["postgresql", "upgrade"]
  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  cloudwatch_log_group_kms_key_id        = aws_kms_key.database.arn

  performance_insights_enabled          = true
  performance_insights_retention_period = 7
  performance_insights_kms_key_id       = aws_kms_key.database.arn

  monitoring_interval    = var.monitoring_interval_seconds
  create_monitoring_role = var.monitoring_interval_seconds > 0 && var.monitoring_role_arn == null
  monitoring_role_arn    = var.monitoring_role_arn
  monitoring_role_name   = "${var.identifier}-rds-monitoring"
}
