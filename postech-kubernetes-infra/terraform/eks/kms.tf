# Envelope encryption of Kubernetes Secrets and encryption of the control-plane log group.
# The cluster role gets kms:Encrypt/Decrypt on it from the EKS module
# (attach_cluster_encryption_policy).
module "cluster_key" {
  source = "../logs-kms-key"

  description            = "postech ${var.cluster_name}: Kubernetes secrets and control-plane logs"
  alias                  = "${var.cluster_name}-eks"
  log_group_name_pattern = "/aws/eks/${var.cluster_name}/*"
}
