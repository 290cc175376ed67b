output "address" {
  description = "Host name of the instance."
  value       = module.db.db_instance_address
}

output "port" {
  description = "PostgreSQL port."
  value       = module.db.db_instance_port
}

output "identifier" {
  description = "RDS instance identifier."
  value       = module.db.db_instance_identifier
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed master user secret."
  value       = module.db.db_instance_master_user_secret_arn
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.database.id
}

output "kms_key_arn" {
  description = "ARN of the database's KMS key (also for secrets of this database)."
  value       = aws_kms_key.database.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the database alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "reader_address" {
  description = "Host name for read-only queries: the read replica's, or the writer's when there is none."
  value       = var.read_replica ? aws_db_instance.replica[0].address : module.db.db_instance_address
}

output "replica_identifier" {
  description = "Identifier of the read replica (null when there is none)."
  value       = var.read_replica ? aws_db_instance.replica[0].identifier : null
}
