output "repository_urls" {
  description = "Repository URL by image name (registry/<name_prefix>/<name>)."
  value       = { for name, repository in aws_ecr_repository.this : name => repository.repository_url }
}

output "repository_arns" {
  description = "Repository ARN by image name (for push permissions of build workflows)."
  value       = { for name, repository in aws_ecr_repository.this : name => repository.arn }
}
