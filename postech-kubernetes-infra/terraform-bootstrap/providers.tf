provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project    = "postech"
      Stage      = "account"
      Repository = "postech-kubernetes-infra"
      Stack      = "terraform-bootstrap"
      ManagedBy  = "terraform"
    })
  }
}
