terraform {
  # 1.11: S3 native state locking (`use_lockfile`) is generally available.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # terraform-aws-modules/eks 20.x and vpc 5.x support the 5.x provider line.
      version = "~> 5.100"
    }
    # The monitoring charts (monitoring.tf) and their Kubernetes objects.
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.37"
    }
  }

  # Partial configuration: `terraform init -backend-config=backend/<stage>.s3.tfbackend
  # -backend-config="bucket=<state bucket>"`. The key, region, encryption and locking live
  # in the per-stage file; the bucket name comes from the workflow (GitHub variable
  # TF_STATE_BUCKET) because bucket names are global and account-specific.
  backend "s3" {}
}
