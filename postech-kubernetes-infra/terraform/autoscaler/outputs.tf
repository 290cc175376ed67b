output "role_arn" {
  description = "IRSA role of the autoscaler (null under the AWS Academy fallback)."
  value       = var.create_irsa_role ? aws_iam_role.autoscaler[0].arn : null
}

output "chart_version" {
  description = "Pinned cluster-autoscaler chart version."
  value       = helm_release.cluster_autoscaler.version
}
