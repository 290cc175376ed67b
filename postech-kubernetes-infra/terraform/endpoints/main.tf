# Private access to the AWS APIs the stage calls most: S3 (gateway: ECR image layers, the
# deploy executor's bundles), and interface endpoints with private DNS for ECR (api, dkr),
# STS (IRSA), Secrets Manager, SSM and CloudWatch Logs. Their traffic never leaves the VPC for
# the NAT gateway, and each endpoint's policy admits only this account's principals and
# resources (a stolen credential of another account cannot use them to move data out).
#
# Still through the NAT gateway (README.md, "Private AWS access"): Mercado Pago (the reason
# it stays), Cognito (the app's AdminCreateUser), the EC2, Auto Scaling and EKS APIs (the VPC
# CNI, the Cluster Autoscaler), CloudWatch metrics (Grafana), GitHub and package mirrors (the
# deploy executor). Each would be one more interface endpoint at the price in docs/cost.md.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name

  # Service => what this account's principals may do through the endpoint, on what.
  interface_endpoints = {
    "ecr.api" = {
      actions   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListImages"]
      resources = ["*"]
    }
    "ecr.dkr" = {
      actions   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = ["*"]
    }
    sts = {
      actions   = ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:GetCallerIdentity", "sts:TagSession"]
      resources = ["*"]
    }
    # Reads (the app, the migrator), and what postech-database-infra's scripts/migrate-stage.sh
    # does from the deploy executor: list versions, store the app role's generated password.
    # GetRandomPassword has no resource, hence "*" (still this account's principals only).
    secretsmanager = {
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds", "secretsmanager:PutSecretValue", "secretsmanager:GetRandomPassword"]
      resources = ["*"]
    }
    ssm = {
      actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:PutParameter"]
      resources = ["arn:aws:ssm:${local.region}:${local.account}:parameter/postech/*"]
    }
    logs = {
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery"]
      resources = ["*"]
    }
  }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-vpc-endpoints"
  description = "Interface VPC endpoints of ${var.name}: HTTPS from the nodes, the workload pods and the deploy executor"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-vpc-endpoints" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# Endpoint policies: the action list above, for principals of this account only. STS's
# AssumeRoleWithWebIdentity (IRSA) is called before the caller has an identity, so it is
# bounded by the role it assumes instead: a role of this account.
data "aws_iam_policy_document" "interface" {
  for_each = local.interface_endpoints

  statement {
    sid       = "ThisAccountOnly"
    actions   = [for action in each.value.actions : action if action != "sts:AssumeRoleWithWebIdentity"]
    resources = each.value.resources

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account]
    }
  }

  dynamic "statement" {
    for_each = contains(each.value.actions, "sts:AssumeRoleWithWebIdentity") ? [1] : []

    content {
      sid       = "IrsaIntoThisAccountsRoles"
      actions   = ["sts:AssumeRoleWithWebIdentity"]
      resources = ["arn:aws:iam::${local.account}:role/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = slice(var.private_subnet_ids, 0, min(var.interface_endpoint_zone_count, length(var.private_subnet_ids)))
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  policy              = data.aws_iam_policy_document.interface[each.key].json

  tags = { Name = "${var.name}-${each.key}" }
}

# S3 gateway (no hourly price): ECR's image layers live in its regional S3 bucket; the rest
# is this account's buckets (the deploy executor's bundles) and the Amazon Linux 2023
# repositories of the nodes.
data "aws_iam_policy_document" "s3" {
  statement {
    sid       = "EcrImageLayers"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::prod-${local.region}-starport-layer-bucket/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  statement {
    sid       = "AmazonLinuxRepositories"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::al2023-repos-${local.region}-de612dc2/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  statement {
    sid       = "ThisAccountsBuckets"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.private_route_table_ids
  policy            = data.aws_iam_policy_document.s3.json

  tags = { Name = "${var.name}-s3" }
}
