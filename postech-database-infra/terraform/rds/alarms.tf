# Alarms of ISSUE 3: CPU above 80% for 5 minutes, free storage low, too many connections.
# They notify an encrypted SNS topic; subscribe on-call to it (alarm_email, or later).
resource "aws_sns_topic" "alarms" {
  name              = "${var.identifier}-database-alarms"
  kms_master_key_id = aws_kms_key.database.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_dimensions = { DBInstanceIdentifier = module.db.db_instance_identifier }
  alarm_actions    = [aws_sns_topic.alarms.arn]
}

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
