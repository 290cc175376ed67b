output "endpoint" {
  description = "Host name of the instance."
  value       = module.rds.address
}

output "port" {
  description = "PostgreSQL port."
  value       = module.rds.port
}

output "database_name" {
  description = "Database created on the instance."
  value       = var.database_name
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret of the master user ({username, password})."
  value       = module.rds.master_user_secret_arn
}

output "app_database_secret_arn" {
  description = "ARN of postech/<stage>/app-database, the app role's credentials."
  value       = aws_secretsmanager_secret.app_database.arn
}

output "app_database_secret_name" {
  description = "Name of the app role's secret."
  value       = aws_secretsmanager_secret.app_database.name
}

output "security_group_id" {
  description = "Security group of the instance (5432 from the EKS workloads only)."
  value       = module.rds.security_group_id
}

output "ssm_parameter_names" {
  description = "SSM parameters written for the other repositories."
  value       = [for parameter in aws_ssm_parameter.rds : parameter.name]
}
