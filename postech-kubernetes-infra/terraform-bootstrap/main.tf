# What every stage stack and workflow of the account stands on, applied once per account by an
# operator (README.md): GitHub's OIDC provider, the workflows' roles (roles.tf), the Terraform
# state bucket (which also keeps the plans reviewers approved, under plans/), and a marker in
# SSM that the first stage deploy checks before it starts.

data "aws_caller_identity" "current" {}

locals {
  account           = data.aws_caller_identity.current.account_id
  state_bucket_name = coalesce(var.state_bucket_name, "postech-terraform-state-${local.account}-${var.aws_region}")
}

# ---- GitHub's OIDC provider ----------------------------------------------------------------
# Workflows exchange their job's OIDC token for a role session (configure-aws-credentials);
# no AWS key is stored in GitHub. IAM trusts GitHub's issuer through its root CAs, so no
# thumbprint is pinned here.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

# ---- Terraform state (and reviewed plans) -------------------------------------------------
resource "aws_kms_key" "state" {
  #checkov:skip=CKV2_AWS_64:The default key policy (the account administers the key, IAM policies grant its use) is the one wanted: the workflow roles get the key through roles.tf.
  description             = "postech: Terraform state and saved plans"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "state" {
  name          = "alias/postech-terraform-state"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access logs would go to a second bucket; CloudTrail data events are the audit trail of state reads and writes if the account needs one.
  #checkov:skip=CKV_AWS_144:Versioning keeps every state and plan revision; a second region is not part of this design.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to state writes.
  bucket = local.state_bucket_name

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

# Saved plans are needed from the pull request until the deploy of that commit: a month is
# plenty; old state versions go after a year.
resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-saved-plans"
    status = "Enabled"

    filter {
      prefix = "plans/"
    }

    expiration {
      days = 30
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 365
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json
}

data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# ---- Marker for the apply order -----------------------------------------------------------
# The first deploy of postech-kubernetes-infra checks this parameter (require-upstream.sh):
# without it, no workflow could have assumed a role anyway, but the message says what to do.
resource "aws_ssm_parameter" "oidc_provider" {
  #checkov:skip=CKV2_AWS_34:Not secret: an ARN.
  name        = "/postech/account/github-oidc-provider-arn"
  description = "postech: GitHub's OIDC provider (written by postech-kubernetes-infra terraform-bootstrap)."
  type        = "String"
  value       = aws_iam_openid_connect_provider.github.arn
}

resource "aws_ssm_parameter" "state_bucket" {
  #checkov:skip=CKV2_AWS_34:Not secret: a bucket name.
  name        = "/postech/account/terraform-state-bucket"
  description = "postech: Terraform state bucket (written by postech-kubernetes-infra terraform-bootstrap)."
  type        = "String"
  value       = aws_s3_bucket.state.id
}
