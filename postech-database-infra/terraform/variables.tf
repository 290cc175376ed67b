variable "aws_region" {
  description = "AWS region of every resource of the stage."
  type        = string
  default     = "us-east-1"
}

variable "stage" {
  description = "Deployment stage: staging or production. Names SSM parameters, secrets and resources."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.stage)
    error_message = "stage must be staging or production."
  }
}

variable "engine_version" {
  description = "PostgreSQL engine version. A major version alone (\"17\") lets RDS pick its default minor and upgrade minors in the maintenance window."
  type        = string
  default     = "17"
}

variable "parameter_group_family" {
  description = "Parameter group family matching engine_version's major, e.g. postgres17."
  type        = string
  default     = "postgres17"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gib" {
  description = "Initial gp3 storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gib" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Standby replica in a second availability zone (production: true)."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (production: true)."
  type        = bool
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (staging only; production keeps one)."
  type        = bool
}

variable "backup_retention_days" {
  description = "Automated backup and point-in-time recovery window, in days."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Keep at least 7 days of backups (and at most RDS's 35)."
  }
}

variable "database_name" {
  description = "Name of the database RDS creates."
  type        = string
  default     = "postech"
}

variable "master_username" {
  description = "RDS master user (owns the schema; runs the migrator). Its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "postech_admin"
}

variable "app_role_name" {
  description = "The app's least-privileged role, created by the migrator with the password of the postech/<stage>/app-database secret."
  type        = string
  default     = "postech_app"
}

variable "monitoring_interval_seconds" {
  description = "Enhanced Monitoring interval (0 disables it; 1, 5, 10, 15, 30 or 60)."
  type        = number
  default     = 60
}

variable "monitoring_role_arn" {
  description = "Existing IAM role for Enhanced Monitoring. Null creates one; set it where IAM roles cannot be created (AWS Academy)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL logs in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "On-call e-mail address subscribed to the database alarms. Required, no default: a stage cannot be applied without someone the alarms reach."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address (the on-call list of the stage)."
  }
}

variable "freeable_memory_alarm_threshold_mib" {
  description = "Freeable memory (MiB) below which the memory alarm fires: about 10% of instance_class's memory (db.t4g.medium 4 GiB, db.m6g.large 8 GiB)."
  type        = number
}

variable "max_connections_alarm_threshold" {
  description = "Connection count above which the connections alarm fires (size it below the instance class's max_connections)."
  type        = number
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "read_replica" {
  description = "A read replica for the app's read-only routes (production: true). Its address is /postech/<stage>/rds/reader-endpoint."
  type        = bool
}

variable "replica_availability_zone" {
  description = "Zone of the read replica: one the primary and its standby do not use (null lets RDS choose)."
  type        = string
  default     = null
}

variable "backup_replication_region" {
  description = "Region the automated backups (and transaction logs, for point-in-time restore) are replicated to; null: none."
  type        = string
}
