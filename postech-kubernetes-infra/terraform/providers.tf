provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project    = "postech"
      Stage      = var.stage
      Repository = "postech-kubernetes-infra"
      ManagedBy  = "terraform"
    })
  }
}
