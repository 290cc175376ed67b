output "bucket_name" {
  description = "Bucket the deploy jobs upload their bundles to (SSM /postech/<stage>/deploy/executor-bucket)."
  value       = aws_s3_bucket.bundles.id
}

output "project_names" {
  description = "CodeBuild project of each deploy step (SSM /postech/<stage>/deploy/<step>-project)."
  value       = { for step, project in aws_codebuild_project.this : step => project.name }
}

output "role_arns" {
  description = "Role of each step's builds (and its EKS access entry)."
  value       = { for step, role in aws_iam_role.executor : step => role.arn }
}

output "security_group_id" {
  description = "Security group of the builds' network interfaces (admitted on the cluster API's 443)."
  value       = aws_security_group.executor.id
}
