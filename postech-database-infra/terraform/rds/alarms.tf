# CloudWatch alarms of the database: CPU, freeable memory, free storage, connections, read and
# write latency, and the lag of every read replica (replica_identifiers). They notify an
# encrypted SNS topic whose e-mail subscription is alarm_email, a required variable of each
# stage (validated; scripts/check_terraform.py fails when a stage does not set it).
resource "aws_sns_topic" "alarms" {
  name              = "${var.identifier}-database-alarms"
  kms_master_key_id = aws_kms_key.database.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_dimensions = { DBInstanceIdentifier = module.db.db_instance_identifier }
  alarm_actions    = [aws_sns_topic.alarms.arn]
}

# Sustained CPU: queries queue behind each other and every route slows down.
resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${var.identifier}-database-cpu-high"
  alarm_description   = "CPU above ${var.cpu_alarm_threshold_percent}% for 5 consecutive minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = local.alarm_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.cpu_alarm_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Below a tenth of the instance class's memory for 10 minutes the instance starts to swap and
# PostgreSQL's page cache shrinks: every query reads from disk.
resource "aws_cloudwatch_metric_alarm" "freeable_memory_low" {
  alarm_name          = "${var.identifier}-database-freeable-memory-low"
  alarm_description   = "Freeable memory below ${var.freeable_memory_alarm_threshold_mib} MiB (about 10% of the instance class) for 10 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "FreeableMemory"
  dimensions          = local.alarm_dimensions
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  threshold           = var.freeable_memory_alarm_threshold_mib * 1024 * 1024
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "free_storage_low" {
  alarm_name          = "${var.identifier}-database-free-storage-low"
  alarm_description   = "Free storage below ${var.free_storage_alarm_fraction * 100}% of the allocated storage for 10 minutes (autoscaling may be at its ceiling)."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = local.alarm_dimensions
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 2
  threshold           = floor(var.allocated_storage_gib * var.free_storage_alarm_fraction * 1024 * 1024 * 1024)
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "connections_high" {
  alarm_name          = "${var.identifier}-database-connections-high"
  alarm_description   = "More than ${var.max_connections_alarm_threshold} connections for 5 minutes: a pool leak or too many pods."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = local.alarm_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.max_connections_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# gp3 answers in a few milliseconds; an average I/O above io_latency_alarm_threshold_ms for 10
# minutes means the volume is at its IOPS or throughput limit (or the instance's EBS bandwidth),
# and the checkout's commits wait on it.
resource "aws_cloudwatch_metric_alarm" "io_latency_high" {
  for_each = { read = "ReadLatency", write = "WriteLatency" }

  alarm_name          = "${var.identifier}-database-${each.key}-latency-high"
  alarm_description   = "Average ${each.key} latency above ${var.io_latency_alarm_threshold_ms} ms for 10 minutes: the storage is saturated."
  namespace           = "AWS/RDS"
  metric_name         = each.value
  dimensions          = local.alarm_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  threshold           = var.io_latency_alarm_threshold_ms / 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A read replica behind by more than replica_lag_alarm_threshold_seconds for 5 minutes serves
# stale reads (the menu, an order, the kitchen list): the app's read-only routes see the past.
# Normal streaming replication stays under a second; bursts (a large vacuum) pass in minutes.
resource "aws_cloudwatch_metric_alarm" "replica_lag_high" {
  for_each = toset(local.replica_identifiers)

  alarm_name          = "${each.value}-database-replica-lag-high"
  alarm_description   = "Replica ${each.value} more than ${var.replica_lag_alarm_threshold_seconds} s behind its primary for 5 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  dimensions          = { DBInstanceIdentifier = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.replica_lag_alarm_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  # A replica that stops reporting is not replicating.
  treat_missing_data = "breaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}
