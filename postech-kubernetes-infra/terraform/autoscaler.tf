# Node autoscaling (./autoscaler): the Cluster Autoscaler, a pinned Helm chart in the same
# apply as the cluster (helm provider of monitoring.tf), with an IRSA role that may resize the
# app node group's Auto Scaling group only. Node bounds: node_min_size/node_max_size per stage,
# sized for the HPA maxima (scripts/check_platform.py computes it from the overlays).
module "autoscaler" {
  source = "./autoscaler"

  name                         = local.name
  cluster_name                 = module.eks.cluster_name
  kubernetes_version           = var.kubernetes_version
  node_autoscaling_group_names = module.eks.node_autoscaling_group_names
  oidc_provider_arn            = module.eks.oidc_provider_arn
  create_irsa_role             = var.lab_role_arn == null
}
