# The deploy executor: CodeBuild projects inside the stage's VPC for the deploy steps that must
# reach the cluster's private API endpoint. A GitHub-hosted deploy job (OIDC role, GitHub
# Environment) zips the checked-out repositories, uploads them to the executor bucket and
# starts the project's build (.github/scripts/run-in-vpc.sh), then streams its log and takes
# its result. Why CodeBuild rather than self-hosted runners: README.md, "Reaching the private
# cluster".
#
# One project per step, each with its own role and Kubernetes access:
#   cluster-bootstrap  postech-kubernetes-infra: namespace + Pod Security labels, ServiceAccounts
#                      (scripts/bootstrap-cluster.sh); cluster admin, nothing else in AWS
#   app-rollout        postech-app's deploy: migration Job + rollout (scripts/deploy-app.sh);
#                      edit in the app namespace, view elsewhere
#   database-migrate   postech-database-infra's deploy: migrator through the tunnel pod
#                      (scripts/migrate-stage.sh); edit in the app namespace, view elsewhere
# The buildspec of each project lives in the repository whose code it runs (path below, inside
# the uploaded bundle), so a change to what runs is reviewed there.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name

  access_policy = {
    cluster_admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    edit          = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
    view          = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
  }

  projects = {
    cluster-bootstrap = {
      description     = "postech ${var.stage}: namespace, Pod Security labels and ServiceAccounts (postech-kubernetes-infra)"
      buildspec       = "postech-kubernetes-infra/.github/executor/cluster-bootstrap.buildspec.yml"
      compute_type    = "BUILD_GENERAL1_SMALL"
      timeout_minutes = 20
    }
    app-rollout = {
      description     = "postech ${var.stage}: migration Job and rollout of postech-app (postech-kubernetes-infra scripts/deploy-app.sh)"
      buildspec       = "postech-kubernetes-infra/.github/executor/app-rollout.buildspec.yml"
      compute_type    = "BUILD_GENERAL1_SMALL"
      timeout_minutes = 40
    }
    database-migrate = {
      description     = "postech ${var.stage}: postech-migrator up and verify through the tunnel pod (postech-database-infra)"
      buildspec       = "postech-database-infra/.github/executor/database-migrate.buildspec.yml"
      compute_type    = "BUILD_GENERAL1_MEDIUM"
      timeout_minutes = 60
    }
  }

  # Kubernetes access of each project's role (EKS access entries, authentication mode API).
  namespace_access = {
    edit = { policy_arn = local.access_policy.edit, scope = "namespace" }
    view = { policy_arn = local.access_policy.view, scope = "cluster" }
  }
  kubernetes_access = {
    cluster-bootstrap = { admin = { policy_arn = local.access_policy.cluster_admin, scope = "cluster" } }
    app-rollout       = local.namespace_access
    database-migrate  = local.namespace_access
  }
  access_associations = merge([
    for project, policies in local.kubernetes_access : {
      for key, policy in policies : "${project}-${key}" => merge(policy, { project = project })
    }
  ]...)

  ssm_prefix     = "arn:aws:ssm:${local.region}:${local.account}:parameter/postech/${var.stage}"
  secret_prefix  = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:postech/${var.stage}"
  log_group_name = { for project in keys(local.projects) : project => "/aws/codebuild/${var.name}-${project}" }
}

# ---- Bundles: what each build runs ---------------------------------------------------------
# Zips of the checked-out repositories, written by the deploy jobs, read once by the build,
# gone after a week (a build reads its bundle within minutes).
resource "aws_s3_bucket" "bundles" {
  #checkov:skip=CKV_AWS_18:Access logging would need a second bucket for objects that live a week; CloudTrail records who started each build, and each bundle's key names the workflow run that wrote it.
  #checkov:skip=CKV_AWS_144:Cross-region replication of bundles that expire in a week has no recovery value: a deploy re-uploads its bundle.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to a bundle's arrival; the deploy job starts the build itself.
  bucket        = "${var.name}-deploy-bundles-${local.account}"
  force_destroy = true
}

resource "aws_s3_bucket_ownership_controls" "bundles" {
  bucket = aws_s3_bucket.bundles.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "bundles" {
  bucket                  = aws_s3_bucket.bundles.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "bundles" {
  bucket = aws_s3_bucket.bundles.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bundles" {
  bucket = aws_s3_bucket.bundles.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "bundles" {
  bucket = aws_s3_bucket.bundles.id

  rule {
    id     = "expire-bundles"
    status = "Enabled"

    filter {}

    expiration {
      days = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "bundles" {
  bucket = aws_s3_bucket.bundles.id
  policy = data.aws_iam_policy_document.bundles.json
}

data "aws_iam_policy_document" "bundles" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.bundles.arn, "${aws_s3_bucket.bundles.arn}/*"]

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

# Bundles, build logs and CodeBuild's own artifacts are encrypted with this key (rotated
# yearly); CloudWatch Logs may use it for the executor's log groups only.
module "key" {
  source = "../logs-kms-key"

  description            = "postech ${var.stage}: deploy executor bundles and build logs"
  alias                  = "${var.name}-deploy-executor"
  log_group_name_pattern = "/aws/codebuild/${var.name}-*"
}

resource "aws_cloudwatch_log_group" "build" {
  for_each = local.log_group_name

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.key_arn
}

# ---- Network: out to the internet through NAT, in to the cluster's API ------------------
resource "aws_security_group" "executor" {
  name        = "${var.name}-deploy-executor"
  description = "postech ${var.stage} deploy executor builds: HTTPS out (cluster API, AWS APIs, GitHub, package mirrors)"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-deploy-executor" }
}

resource "aws_vpc_security_group_egress_rule" "executor_https" {
  security_group_id = aws_security_group.executor.id
  description       = "HTTPS: the cluster API, AWS APIs, GitHub and package mirrors (through NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "cluster_api_from_executor" {
  security_group_id            = var.cluster_security_group_id
  description                  = "Kubernetes API from the deploy executor's builds"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.executor.id
}

# ---- Projects -------------------------------------------------------------------------------
resource "aws_codebuild_project" "this" {
  for_each = local.projects

  name           = "${var.name}-${each.key}"
  description    = each.value.description
  service_role   = aws_iam_role.executor[each.key].arn
  build_timeout  = each.value.timeout_minutes
  queued_timeout = 30
  encryption_key = module.key.key_arn
  # Two deploys of one stage never run at once (the workflows' concurrency groups say the same).
  concurrent_build_limit = 1

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type                = each.value.compute_type
    image                       = var.build_image
    type                        = "LINUX_CONTAINER"
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false

    environment_variable {
      name  = "POSTECH_EXECUTOR_STAGE"
      value = var.stage
    }
  }

  # Every build overrides the location with the bundle its deploy job uploaded.
  source {
    type      = "S3"
    location  = "${aws_s3_bucket.bundles.id}/${each.key}/none.zip"
    buildspec = each.value.buildspec
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.private_subnet_ids
    security_group_ids = [aws_security_group.executor.id]
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.build[each.key].name
    }

    s3_logs {
      status = "DISABLED"
    }
  }
}

# ---- Roles -----------------------------------------------------------------------------------
resource "aws_iam_role" "executor" {
  for_each = local.projects

  name                 = "${var.name}-executor-${each.key}"
  description          = "CodeBuild ${var.name}-${each.key}: ${each.value.description}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "trust" {
  for_each = local.projects

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }

    # Only this project's builds (confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:codebuild:${local.region}:${local.account}:project/${var.name}-${each.key}"]
    }
  }
}

resource "aws_iam_role_policy" "executor" {
  for_each = local.projects

  name   = "deploy-step"
  role   = aws_iam_role.executor[each.key].id
  policy = data.aws_iam_policy_document.executor[each.key].json
}

data "aws_iam_policy_document" "executor" {
  #checkov:skip=CKV_AWS_111:The ENI actions CodeBuild needs in a VPC do not support resource-level permissions; CreateNetworkInterfacePermission is narrowed to the subnets and to CodeBuild.
  #checkov:skip=CKV_AWS_356:Same: ec2:Describe*/CreateNetworkInterface/DeleteNetworkInterface and secretsmanager:GetRandomPassword take no resource ARN.
  for_each = local.projects

  statement {
    sid       = "WriteOwnBuildLog"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${local.region}:${local.account}:log-group:${local.log_group_name[each.key]}:*"]
  }

  statement {
    sid       = "ReadOwnBundles"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.bundles.arn}/${each.key}/*"]
  }

  statement {
    sid       = "UseExecutorKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.key.key_arn]
  }

  # What CodeBuild does for a build that runs in a VPC (AWS's documented policy).
  statement {
    sid = "BuildNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "AttachBuildNetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:aws:ec2:${local.region}:${local.account}:network-interface/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [for subnet in var.private_subnet_ids : "arn:aws:ec2:${local.region}:${local.account}:subnet/${subnet}"]
    }
  }

  statement {
    sid       = "FindTheCluster"
    actions   = ["eks:DescribeCluster"]
    resources = ["arn:aws:eks:${local.region}:${local.account}:cluster/${var.cluster_name}"]
  }

  statement {
    sid       = "ReadStageParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["${local.ssm_prefix}/*"]
  }

  # What each step records for the ones after it (the namespace marker, the app's release).
  dynamic "statement" {
    for_each = each.key == "cluster-bootstrap" ? ["eks/namespace-ready"] : each.key == "app-rollout" ? ["app/release"] : []

    content {
      sid       = "RecordStep"
      actions   = ["ssm:PutParameter"]
      resources = ["${local.ssm_prefix}/${statement.value}"]
    }
  }

  # deploy-app.sh checks that the public token keys are published before rolling out.
  dynamic "statement" {
    for_each = each.key == "app-rollout" ? [1] : []

    content {
      sid       = "ReadTokenVerificationKeys"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = ["${local.secret_prefix}/jwt-verification-key-??????"]
    }
  }

  # migrate-stage.sh seeds the app role's secret on the first deploy; the migrator reads the
  # RDS-managed master secret of this stage's instance itself.
  dynamic "statement" {
    for_each = each.key == "database-migrate" ? [1] : []

    content {
      sid       = "SeedAppDatabaseSecret"
      actions   = ["secretsmanager:ListSecretVersionIds", "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"]
      resources = ["${local.secret_prefix}/app-database-??????"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "database-migrate" ? [1] : []

    content {
      sid       = "GeneratePassword"
      actions   = ["secretsmanager:GetRandomPassword"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "database-migrate" ? [1] : []

    content {
      sid       = "ReadStageMasterSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = ["arn:aws:secretsmanager:${local.region}:${local.account}:secret:rds!db-*"]

      condition {
        test     = "StringEquals"
        variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
        values   = ["arn:aws:rds:${local.region}:${local.account}:db:${var.name}"]
      }
    }
  }

  # The secrets' keys belong to other repositories: decryption only through Secrets Manager.
  dynamic "statement" {
    for_each = contains(["app-rollout", "database-migrate"], each.key) ? [1] : []

    content {
      sid       = "DecryptSecretsThroughSecretsManager"
      actions   = ["kms:Decrypt"]
      resources = ["arn:aws:kms:${local.region}:${local.account}:key/*"]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_eks_access_entry" "executor" {
  for_each = local.projects

  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.executor[each.key].arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "executor" {
  for_each = local.access_associations

  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.executor[each.value.project].arn
  policy_arn    = each.value.policy_arn

  access_scope {
    type       = each.value.scope
    namespaces = each.value.scope == "namespace" ? [var.app_namespace] : null
  }

  depends_on = [aws_eks_access_entry.executor]
}

# ---- What the deploy workflows read ------------------------------------------------------
resource "aws_ssm_parameter" "executor" {
  #checkov:skip=CKV2_AWS_34:Not secret: a bucket name and project names.
  for_each = merge(
    { "deploy/executor-bucket" = aws_s3_bucket.bundles.id },
    { for project in keys(local.projects) : "deploy/${project}-project" => aws_codebuild_project.this[project].name },
  )

  name        = "/postech/${var.stage}/${each.key}"
  description = "postech ${var.stage}: ${each.key} (written by postech-kubernetes-infra, deploy-executor)."
  type        = "String"
  value       = each.value
}
