# PostgreSQL reachable from the EKS workloads only: no CIDR rule, no public access.
resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached to the instance through the RDS module's vpc_security_group_ids; checkov does not follow registry modules offline.
  name        = "${var.identifier}-database"
  description = "PostgreSQL of ${var.identifier}: 5432 from the EKS workloads only"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_workloads" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the EKS workloads security group"
  referenced_security_group_id = var.allowed_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# No egress rule: the instance never opens connections (RDS's own management traffic does
# not pass through the instance's security group).
