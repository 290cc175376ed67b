# Encrypts the VPC flow logs.
module "flow_logs_key" {
  source = "../logs-kms-key"

  description            = "postech ${var.name}: VPC flow logs"
  alias                  = "${var.name}-flow-logs"
  log_group_name_pattern = "/aws/vpc-flow-log/*"
}
