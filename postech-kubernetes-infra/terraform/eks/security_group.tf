# The workloads' security group: what postech-database-infra admits on 5432 (SSM
# /postech/<stage>/eks/workload-security-group-id). It carries no rule of its own; it is an
# identity that the node group's instances (and, through the VPC CNI, every pod ENI on
# them) present. Node SG egress already allows the connection out.
#
# Why node level, not security groups for pods: SGP needs trunk-ENI capable instance types,
# ENABLE_POD_ENI on the CNI, a SecurityGroupPolicy per workload and a branch ENI per pod
# (which caps pods per node). Here the app's node group runs only the
# app (and cluster add-ons), and k8s/base/network-policy.yaml limits which pods may open
# 5432, so the node-level group plus NetworkPolicy gives the same boundary with less
# machinery. Move to SGP if other workloads ever share these nodes.
resource "aws_security_group" "workload" {
  #checkov:skip=CKV2_AWS_5:Attached to every node of the app node group through the EKS module's vpc_security_group_ids; checkov does not follow registry modules offline.
  name        = "${var.cluster_name}-workloads"
  description = "postech app workloads of ${var.cluster_name}: the source the database admits"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.cluster_name}-workloads" }

  lifecycle {
    create_before_destroy = true
  }
}
