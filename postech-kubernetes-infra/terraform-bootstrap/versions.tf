terraform {
  # 1.11: S3 native state locking (`use_lockfile`), as the stage stacks.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration, like the stage stacks: `terraform init
  # -backend-config=backend/account.s3.tfbackend -backend-config="bucket=<state bucket>"`.
  # The very first apply creates that bucket, so it runs on local state first (README.md,
  # "First apply") and then moves its state into the bucket.
  backend "s3" {}
}
