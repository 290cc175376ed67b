output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "EKS API endpoint."
  value       = module.eks.cluster_endpoint
}

output "oidc_provider_arn" {
  description = "IRSA OIDC provider (null without IRSA)."
  value       = module.eks.oidc_provider_arn
}

output "node_security_group_id" {
  description = "Security group the EKS module gives every node (node-to-node, control plane)."
  value       = module.eks.node_security_group_id
}

output "workload_security_group_id" {
  description = "Security group of the app's and the migrator's pods (security groups for pods); the database admits 5432 from it."
  value       = aws_security_group.workload.id
}

output "node_autoscaling_group_name" {
  description = "Auto Scaling group of the app node group (registered in the internal load balancer's target group)."
  value       = module.eks.eks_managed_node_groups["app"].node_group_autoscaling_group_names[0]
}

output "kms_key_arn" {
  description = "Key of the Kubernetes secrets and control-plane logs."
  value       = module.cluster_key.key_arn
}

output "cluster_security_group_id" {
  description = "Security group of the control plane's network interfaces (the private API endpoint)."
  value       = module.eks.cluster_security_group_id
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the cluster's API (the helm and kubernetes providers of ../monitoring.tf)."
  value       = module.eks.cluster_certificate_authority_data
}

output "node_autoscaling_group_names" {
  description = "Auto Scaling groups of the managed node groups (the Cluster Autoscaler's only targets)."
  value       = flatten([for group in module.eks.eks_managed_node_groups : group.node_group_autoscaling_group_names])
}
