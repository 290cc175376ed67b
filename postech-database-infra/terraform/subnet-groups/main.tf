# Private subnets only: the subnets come from the VPC's private tier (SSM, written by
# postech-kubernetes-infra), and the instance is never publicly accessible.
resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of the postech database (${var.name})."
  subnet_ids  = var.subnet_ids
}
