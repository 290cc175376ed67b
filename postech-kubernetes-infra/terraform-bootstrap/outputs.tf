output "github_oidc_provider_arn" {
  description = "GitHub's OIDC provider the workflow roles trust."
  value       = aws_iam_openid_connect_provider.github.arn
}

output "state_bucket" {
  description = "Terraform state bucket of every stack (GitHub variable TF_STATE_BUCKET); reviewed plans under plans/<repository>/<stage>/."
  value       = aws_s3_bucket.state.id
}

output "role_arns" {
  description = "Every workflow role by name."
  value       = { for name, role in aws_iam_role.workflow : name => role.arn }
}

# What each repository's workflows read, in the shape .github/scripts/apply-github-settings.sh
# takes: `terraform output -json github_variables > github-variables.json`, then
# `apply-github-settings.sh <owner>/<repository> github-variables.json` in each repository.
output "github_variables" {
  description = "GitHub Actions variables per repository: repository-level and per environment (role ARNs, state bucket, region)."
  value = {
    for repository in ["postech-shared-sdk", "postech-database-infra", "postech-app", "postech-lambda-functions", "postech-kubernetes-infra"] : repository => {
      repository = merge(
        { AWS_REGION = var.aws_region },
        contains(local.terraform_repositories, repository) ? {
          TF_STATE_BUCKET   = aws_s3_bucket.state.id
          AWS_PLAN_ROLE_ARN = aws_iam_role.workflow["ci-${trimprefix(repository, "postech-")}-plan"].arn
        } : null,
        repository == "postech-app" ? {
          AWS_STAGING_IMAGE_ROLE_ARN    = aws_iam_role.workflow["ci-app-images-staging"].arn
          AWS_PRODUCTION_IMAGE_ROLE_ARN = aws_iam_role.workflow["ci-app-images-production"].arn
        } : null,
      )
      environments = {
        for stage in var.stages : stage => {
          AWS_DEPLOY_ROLE_ARN = aws_iam_role.workflow["ci-${trimprefix(repository, "postech-")}-deploy-${stage}"].arn
        } if contains(local.deployed_repositories, repository)
      }
    }
  }
}
