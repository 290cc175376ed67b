variable "identifier" {
  description = "RDS instance identifier; also names the key, security group, alarms and topic."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "allowed_security_group_id" {
  description = "Security group of the EKS workloads: the only source admitted on 5432."
  type        = string
}

variable "db_subnet_group_name" {
  description = "DB subnet group (private subnets), from ../subnet-groups."
  type        = string
}

variable "parameter_group_name" {
  description = "DB parameter group, from ../parameter-groups."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL engine version."
  type        = string
}

variable "parameter_group_family" {
  description = "Parameter group family (the module records it; the group itself comes from ../parameter-groups)."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gib" {
  description = "Initial gp3 storage in GiB."
  type        = number
}

variable "max_allocated_storage_gib" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
}

variable "multi_az" {
  description = "Synchronous standby in a second availability zone."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse to delete the instance."
  type        = bool
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot."
  type        = bool
}

variable "backup_retention_days" {
  description = "Automated backups and point-in-time recovery window, in days (7-35)."
  type        = number
}

variable "database_name" {
  description = "Database RDS creates."
  type        = string
}

variable "master_username" {
  description = "Master user; RDS generates its password and keeps it in Secrets Manager."
  type        = string
}

variable "monitoring_interval_seconds" {
  description = "Enhanced Monitoring interval in seconds (0 disables)."
  type        = number
}

variable "monitoring_role_arn" {
  description = "Existing Enhanced Monitoring role; null creates one."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL logs."
  type        = number
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic (required: alarms must reach someone)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "max_connections_alarm_threshold" {
  description = "Connection count that raises the connections alarm."
  type        = number
}

variable "cpu_alarm_threshold_percent" {
  description = "CPU utilisation that, sustained for 5 minutes, raises the CPU alarm."
  type        = number
  default     = 80
}

variable "free_storage_alarm_fraction" {
  description = "Fraction of the allocated storage below which free space raises the storage alarm."
  type        = number
  default     = 0.1
}

variable "freeable_memory_alarm_threshold_mib" {
  description = "Freeable memory (MiB) below which, for 10 minutes, the memory alarm fires; about 10% of the instance class's memory."
  type        = number
}

variable "io_latency_alarm_threshold_ms" {
  description = "Average read or write latency (ms) above which, for 10 minutes, the latency alarms fire."
  type        = number
  default     = 20
}

variable "replica_identifiers" {
  description = "Identifiers of the instance's read replicas; each gets a ReplicaLag alarm (empty: none)."
  type        = list(string)
  default     = []
}

variable "replica_lag_alarm_threshold_seconds" {
  description = "Replica lag (s) above which, for 5 minutes, a replica's lag alarm fires."
  type        = number
  default     = 30
}

variable "read_replica" {
  description = "Create a read replica (the app's reader endpoint) in replica_availability_zone."
  type        = bool
  default     = false
}

variable "replica_instance_class" {
  description = "Instance class of the read replica (null: the primary's)."
  type        = string
  default     = null
}

variable "replica_availability_zone" {
  description = "Availability zone of the read replica: the zone the primary and its Multi-AZ standby leave free (null lets RDS choose)."
  type        = string
  default     = null
}

variable "backup_replication_region" {
  description = "Region the automated backups are replicated to (null: none). Needs the aws.backup provider configured for that region."
  type        = string
  default     = null
}
