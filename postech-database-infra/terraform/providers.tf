provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project    = "postech"
      Stage      = var.stage
      Repository = "postech-database-infra"
      ManagedBy  = "terraform"
    })
  }
}

# The region the automated backups are copied to (rds/replication.tf): a regional outage or a
# lost region still leaves a point-in-time restore. Configured in every stage (a provider
# cannot be conditional); used only where backup_replication_region is set.
provider "aws" {
  alias  = "backup"
  region = coalesce(var.backup_replication_region, "us-west-2")

  default_tags {
    tags = merge(var.tags, {
      Project    = "postech"
      Stage      = var.stage
      Repository = "postech-database-infra"
      ManagedBy  = "terraform"
    })
  }
}
