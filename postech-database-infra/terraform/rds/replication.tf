# Replication beyond the Multi-AZ standby (which serves no reads and shares the region):
#  * a read replica (production), in an availability zone of its own, for the app's read-only
#    routes (menu, order by id, kitchen list) when it is given DATABASE_READER_*; its address
#    is published as /postech/<stage>/rds/reader-endpoint (the writer's where there is none),
#    and its lag raises the ReplicaLag alarm (alarms.tf);
#  * the automated backups (snapshots and transaction logs) copied to another region, so a
#    point-in-time restore survives the loss of us-east-1.

locals {
  replica_identifier  = "${var.identifier}-replica"
  replica_identifiers = concat(var.replica_identifiers, var.read_replica ? [local.replica_identifier] : [])
  monitoring_role_arn = var.monitoring_interval_seconds > 0 ? coalesce(var.monitoring_role_arn, module.db.enhanced_monitoring_iam_role_arn) : null
}

# The replica's exported logs, encrypted and retained like the primary's (RDS would otherwise
# create the group itself, unencrypted and kept forever).
resource "aws_cloudwatch_log_group" "replica" {
  for_each = var.read_replica ? toset(["postgresql", "upgrade"]) : toset([])

  name              = "/aws/rds/instance/${local.replica_identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.database.arn
}

resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_157:A read replica is not Multi-AZ on purpose: the primary is, and a lost replica only sends reads back to the writer (the app falls back).
  #checkov:skip=CKV_AWS_133:Backups are the primary's (and copied to another region below); RDS keeps none for a PostgreSQL read replica unless it is promoted.
  count = var.read_replica ? 1 : 0

  identifier          = local.replica_identifier
  replicate_source_db = module.db.db_instance_identifier
  instance_class      = coalesce(var.replica_instance_class, var.instance_class)
  availability_zone   = var.replica_availability_zone

  storage_type          = "gp3"
  max_allocated_storage = var.max_allocated_storage_gib
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.database.arn

  publicly_accessible                 = false
  vpc_security_group_ids              = [aws_security_group.database.id]
  parameter_group_name                = var.parameter_group_name
  iam_database_authentication_enabled = true
  multi_az                            = false

  backup_retention_period    = 0
  skip_final_snapshot        = true
  copy_tags_to_snapshot      = true
  deletion_protection        = var.deletion_protection
  auto_minor_version_upgrade = true
  apply_immediately          = false
  maintenance_window         = "Mon:07:30-Mon:08:30"

  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_retention_period = 7
  performance_insights_kms_key_id       = aws_kms_key.database.arn
  monitoring_interval                   = var.monitoring_interval_seconds
  monitoring_role_arn                   = local.monitoring_role_arn

  depends_on = [aws_cloudwatch_log_group.replica]
}

# The destination region's key: RDS re-encrypts the copied backups with it.
resource "aws_kms_key" "backup_replica" {
  count    = var.backup_replication_region == null ? 0 : 1
  provider = aws.backup

  description             = "postech database ${var.identifier}: automated backups replicated from ${data.aws_region.current.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.backup_replica_key.json
}

data "aws_iam_policy_document" "backup_replica_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account root, as in the AWS default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_db_instance_automated_backups_replication" "cross_region" {
  count    = var.backup_replication_region == null ? 0 : 1
  provider = aws.backup

  source_db_instance_arn = module.db.db_instance_arn
  kms_key_id             = aws_kms_key.backup_replica[0].arn
  retention_period       = var.backup_retention_days
}
