output "app_role_arn" {
  description = "IRSA role of postech-app (eks.amazonaws.com/role-arn annotation)."
  value       = aws_iam_role.app.arn
}

output "migrator_role_arn" {
  description = "IRSA role of the migration Job."
  value       = aws_iam_role.migrator.arn
}
