# The app's credentials (ARCHITECTURE.md: postech/<stage>/app-database, {username, password,
# host, port, dbname}). Terraform creates the secret without a value so that no password
# ever enters the state: the deploy workflow stores a generated password in it the first
# time, and the migrator creates the app role from it on every run.
resource "aws_secretsmanager_secret" "app_database" {
  #checkov:skip=CKV2_AWS_57:Rotation needs a rotation Lambda that also runs ALTER ROLE; until it exists, rotate by putting a new value and re-running the migrator (README, "Rotating the app password").
  name                    = "postech/${var.stage}/app-database"
  description             = "Credentials of the postech app's least-privileged PostgreSQL role (${var.app_role_name})."
  kms_key_id              = module.rds.kms_key_arn
  recovery_window_in_days = 7
}
