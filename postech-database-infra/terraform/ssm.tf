# What the other repositories read (ARCHITECTURE.md: /postech/<stage>/rds/*). Endpoints and
# ARNs, no secret values: the credentials stay in Secrets Manager, named here.
locals {
  ssm_out = {
    "endpoint" = module.rds.address
    # Read-only queries (the app's DATABASE_READER_HOST): the replica, else the writer.
    "reader-endpoint"         = module.rds.reader_address
    "port"                    = tostring(module.rds.port)
    "db-name"                 = var.database_name
    "instance-id"             = module.rds.identifier
    "security-group-id"       = module.rds.security_group_id
    "master-secret-arn"       = module.rds.master_user_secret_arn
    "app-database-secret-arn" = aws_secretsmanager_secret.app_database.arn
    "app-role-name"           = var.app_role_name
  }
}

resource "aws_ssm_parameter" "rds" {
  #checkov:skip=CKV2_AWS_34:Not secret (endpoints, ids and ARNs that other repositories read); the credentials themselves live in Secrets Manager.
  for_each = local.ssm_out

  name        = "/postech/${var.stage}/rds/${each.key}"
  description = "postech ${var.stage} database: ${each.key} (written by postech-database-infra)."
  type        = "String"
  value       = each.value
}
