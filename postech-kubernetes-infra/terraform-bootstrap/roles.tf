# The workflows' roles. Each trusts GitHub's OIDC tokens of one repository in one context only:
#   pull_request              the read-only plan roles of the two Terraform repositories
#   environment:<stage>       the deploy roles (a job runs in a GitHub Environment only after
#                             its protection rules: branch policy, required reviewers)
#   ref:refs/heads/<branch>   postech-app's image roles (the build on develop/staging, the copy
#                             to production on main)
# Their names live under the path /postech-ci/ and never match postech-<stage>-*, the names a
# stage deploy may manage: no deploy role can edit itself or another workflow's role.
#
# Permissions: the stage's SSM parameters, secrets, state and executor by ARN; the services
# Terraform creates resources with generated ids in (EC2, EKS, RDS, ...) by service within the
# region, keys by their Stage tag, IAM by the stage's name prefix. README.md lists them.

locals {
  arn = {
    ssm       = "arn:aws:ssm:${var.aws_region}:${local.account}:parameter"
    secret    = "arn:aws:secretsmanager:${var.aws_region}:${local.account}:secret"
    ecr       = "arn:aws:ecr:${var.aws_region}:${local.account}:repository"
    iam       = "arn:aws:iam::${local.account}"
    codebuild = "arn:aws:codebuild:${var.aws_region}:${local.account}:project"
    logs      = "arn:aws:logs:${var.aws_region}:${local.account}:log-group"
    bundles   = "arn:aws:s3:::postech"
  }
  state = aws_s3_bucket.state.arn

  in_region = [{ test = "StringEquals", variable = "aws:RequestedRegion", values = [var.aws_region] }]

  terraform_repositories = ["postech-kubernetes-infra", "postech-database-infra"]
  deployed_repositories  = ["postech-kubernetes-infra", "postech-database-infra", "postech-lambda-functions", "postech-app"]

  # The in-VPC step each repository's deploy starts (postech-kubernetes-infra terraform/deploy-executor).
  executor_step = {
    "postech-kubernetes-infra" = "cluster-bootstrap"
    "postech-database-infra"   = "database-migrate"
    "postech-app"              = "app-rollout"
  }

  subject_prefix = "repo:${var.github_owner}"

  # ---- Building blocks (lists of statements) ------------------------------------------------
  state_key_use = [{
    sid        = "UseStateKey"
    actions    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources  = [aws_kms_key.state.arn]
    conditions = []
  }]

  stage_parameters_read = {
    for stage in var.stages : stage => [{
      sid        = "ReadStageParameters"
      actions    = ["ssm:GetParameter", "ssm:GetParameters"]
      resources  = ["${local.arn.ssm}/postech/${stage}/*", "${local.arn.ssm}/postech/account/*"]
      conditions = []
    }]
  }

  executor_use = {
    for pair in setproduct(keys(local.executor_step), var.stages) : "${pair[0]}/${pair[1]}" => [
      {
        sid        = "StartOwnExecutorStep"
        actions    = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
        resources  = ["${local.arn.codebuild}/postech-${pair[1]}-${local.executor_step[pair[0]]}"]
        conditions = []
      },
      {
        sid        = "FollowOwnExecutorLog"
        actions    = ["logs:GetLogEvents"]
        resources  = ["${local.arn.logs}:/aws/codebuild/postech-${pair[1]}-${local.executor_step[pair[0]]}:*"]
        conditions = []
      },
      {
        sid        = "UploadOwnBundles"
        actions    = ["s3:PutObject"]
        resources  = ["${local.arn.bundles}-${pair[1]}-deploy-bundles-${local.account}/${local.executor_step[pair[0]]}/*"]
        conditions = []
      },
      {
        sid       = "EncryptBundlesThroughS3"
        actions   = ["kms:GenerateDataKey", "kms:Encrypt"]
        resources = ["arn:aws:kms:${var.aws_region}:${local.account}:key/*"]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["s3.${var.aws_region}.amazonaws.com"] },
          { test = "StringLike", variable = "kms:EncryptionContext:aws:s3:arn", values = ["${local.arn.bundles}-${pair[1]}-deploy-bundles-${local.account}/*"] },
        ]
      },
    ]
  }

  terraform_state_rw = {
    for pair in setproduct(local.terraform_repositories, var.stages) : "${pair[0]}/${pair[1]}" => concat(local.state_key_use, [
      {
        sid        = "StageState"
        actions    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        resources  = ["${local.state}/${pair[0]}/${pair[1]}/*"]
        conditions = []
      },
      {
        # The plan a reviewer saw on the pull request, applied as is.
        sid        = "ReviewedPlans"
        actions    = ["s3:GetObject"]
        resources  = ["${local.state}/plans/${pair[0]}/${pair[1]}/*"]
        conditions = []
      },
      {
        sid        = "ListStageState"
        actions    = ["s3:ListBucket"]
        resources  = [local.state]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["${pair[0]}/${pair[1]}/*", "plans/${pair[0]}/${pair[1]}/*"] }]
      },
    ])
  }

  # Keys are created with the provider's default Stage tag and managed only while they carry it.
  stage_keys = {
    for pair in setproduct(["Stage", "stage"], var.stages) : "${pair[0]}/${pair[1]}" => [
      {
        sid        = "CreateStageKeys"
        actions    = ["kms:CreateKey", "kms:TagResource"]
        resources  = ["*"]
        conditions = [{ test = "StringEquals", variable = "aws:RequestTag/${pair[0]}", values = [pair[1]] }]
      },
      {
        sid        = "ManageStageKeys"
        actions    = ["kms:*"]
        resources  = ["arn:aws:kms:${var.aws_region}:${local.account}:key/*"]
        conditions = [{ test = "StringEquals", variable = "aws:ResourceTag/${pair[0]}", values = [pair[1]] }]
      },
      {
        sid        = "StageKeyAliases"
        actions    = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        resources  = ["arn:aws:kms:${var.aws_region}:${local.account}:alias/postech-${pair[1]}-*", "arn:aws:kms:${var.aws_region}:${local.account}:alias/postech-lambda-functions-${pair[1]}*"]
        conditions = []
      },
      {
        sid        = "ListKeys"
        actions    = ["kms:ListAliases", "kms:ListKeys"]
        resources  = ["*"]
        conditions = []
      },
    ]
  }

  stage_roles = {
    for stage in var.stages : stage => [
      {
        sid     = "StageRoles"
        actions = ["iam:*"]
        resources = [
          "${local.arn.iam}:role/postech-${stage}-*", "${local.arn.iam}:policy/postech-${stage}-*",
          "${local.arn.iam}:instance-profile/postech-${stage}-*", "${local.arn.iam}:role/postech-lambda-functions-${stage}-*",
        ]
        conditions = []
      },
      {
        sid        = "ServiceLinkedRoles"
        actions    = ["iam:CreateServiceLinkedRole"]
        resources  = ["${local.arn.iam}:role/aws-service-role/*"]
        conditions = []
      },
      {
        sid        = "ReadIam"
        actions    = ["iam:Get*", "iam:List*"]
        resources  = ["*"]
        conditions = []
      },
    ]
  }

  # What each repository's deploy creates, by service.
  services = {
    "postech-kubernetes-infra" = {
      for stage in var.stages : stage => concat(local.stage_keys["Stage/${stage}"], local.stage_roles[stage], [
        {
          sid        = "PlatformServices"
          actions    = ["ec2:*", "eks:*", "elasticloadbalancing:*", "autoscaling:*", "logs:*", "cloudwatch:*", "ecr:GetAuthorizationToken", "ecr:DescribeRepositories", "codebuild:ListProjects"]
          resources  = ["*"]
          conditions = local.in_region
        },
        {
          # The internal load balancer's certificate, validated in the stage's public zone.
          sid        = "Certificates"
          actions    = ["acm:*"]
          resources  = ["*"]
          conditions = local.in_region
        },
        {
          sid        = "CertificateValidationRecords"
          actions    = ["route53:ChangeResourceRecordSets", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
          resources  = ["arn:aws:route53:::hostedzone/*"]
          conditions = []
        },
        {
          sid        = "FindZones"
          actions    = ["route53:GetChange", "route53:ListHostedZones", "route53:ListHostedZonesByName"]
          resources  = ["*"]
          conditions = []
        },
        {
          sid        = "StageRepositories"
          actions    = ["ecr:*"]
          resources  = ["${local.arn.ecr}/postech-${stage}/*"]
          conditions = []
        },
        {
          sid        = "StageExecutor"
          actions    = ["codebuild:*"]
          resources  = ["${local.arn.codebuild}/postech-${stage}-*"]
          conditions = []
        },
        {
          sid        = "StageExecutorBucket"
          actions    = ["s3:*"]
          resources  = ["${local.arn.bundles}-${stage}-deploy-bundles-${local.account}", "${local.arn.bundles}-${stage}-deploy-bundles-${local.account}/*"]
          conditions = []
        },
        {
          sid        = "WriteStageParameters"
          actions    = ["ssm:*"]
          resources  = ["${local.arn.ssm}/postech/${stage}/*"]
          conditions = []
        },
        {
          sid        = "DescribeParameters"
          actions    = ["ssm:DescribeParameters"]
          resources  = ["*"]
          conditions = []
        },
      ])
    }
    "postech-database-infra" = {
      for stage in var.stages : stage => concat(local.stage_keys["Stage/${stage}"], local.stage_roles[stage], [
        {
          sid        = "DatabaseServices"
          actions    = ["rds:*", "ec2:Describe*", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:*SecurityGroupIngress", "ec2:*SecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags", "cloudwatch:*", "logs:*", "sns:*"]
          resources  = ["*"]
          conditions = local.in_region
        },
        {
          # RDS creates and rotates the master secret (rds!db-...) in the caller's name.
          sid        = "StageSecrets"
          actions    = ["secretsmanager:*"]
          resources  = ["${local.arn.secret}:postech/${stage}/*", "${local.arn.secret}:rds!db-*"]
          conditions = []
        },
        {
          sid        = "WriteStageParameters"
          actions    = ["ssm:*"]
          resources  = ["${local.arn.ssm}/postech/${stage}/rds/*"]
          conditions = []
        },
      ])
    }
    "postech-lambda-functions" = {
      for stage in var.stages : stage => concat(local.stage_keys["stage/${stage}"], local.stage_roles[stage], [
        {
          sid        = "ServerlessStack"
          actions    = ["cloudformation:*"]
          resources  = ["arn:aws:cloudformation:${var.aws_region}:${local.account}:stack/postech-lambda-functions-${stage}/*"]
          conditions = []
        },
        {
          sid        = "ServerlessServices"
          actions    = ["cloudformation:ValidateTemplate", "cloudformation:ListStacks", "cloudformation:DescribeStacks", "lambda:*", "apigateway:*", "cognito-idp:*", "logs:*", "wafv2:*", "cloudwatch:*", "ec2:Describe*"]
          resources  = ["*"]
          conditions = local.in_region
        },
        {
          sid        = "DeploymentBucket"
          actions    = ["s3:*"]
          resources  = ["arn:aws:s3:::postech-lambda-functions-${stage}-serverlessdeploy*"]
          conditions = []
        },
        {
          sid        = "StageSecrets"
          actions    = ["secretsmanager:*"]
          resources  = ["${local.arn.secret}:postech/${stage}/*"]
          conditions = []
        },
        {
          sid        = "WriteStageParameters"
          actions    = ["ssm:*"]
          resources  = ["${local.arn.ssm}/postech/${stage}/cognito/*", "${local.arn.ssm}/postech/${stage}/apigw/*", "${local.arn.ssm}/postech/${stage}/auth/*"]
          conditions = []
        },
      ])
    }
    "postech-app" = {
      for stage in var.stages : stage => [
        {
          # The release record: the rollback redeploys the previous one.
          sid        = "ReadReleaseHistory"
          actions    = ["ssm:GetParameterHistory"]
          resources  = ["${local.arn.ssm}/postech/${stage}/app/release"]
          conditions = []
        },
      ]
    }
  }

  # ---- The roles -------------------------------------------------------------------------------
  plan_roles = {
    for repository in local.terraform_repositories : "ci-${trimprefix(repository, "postech-")}-plan" => {
      repository = repository
      purpose    = "terraform plan of pull requests (read-only, writes its saved plans)"
      subjects   = ["${local.subject_prefix}/${repository}:pull_request"]
      managed    = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
      statements = concat(local.state_key_use, [{
        sid        = "SavePlans"
        actions    = ["s3:PutObject"]
        resources  = ["${local.state}/plans/${repository}/*"]
        conditions = []
      }])
    }
  }

  deploy_roles = {
    for pair in setproduct(local.deployed_repositories, var.stages) : "ci-${trimprefix(pair[0], "postech-")}-deploy-${pair[1]}" => {
      repository = pair[0]
      purpose    = "deploy to ${pair[1]} (GitHub Environment ${pair[1]})"
      subjects   = ["${local.subject_prefix}/${pair[0]}:environment:${pair[1]}"]
      managed    = []
      statements = concat(
        local.stage_parameters_read[pair[1]],
        try(local.executor_use["${pair[0]}/${pair[1]}"], []),
        try(local.terraform_state_rw["${pair[0]}/${pair[1]}"], []),
        local.services[pair[0]][pair[1]],
      )
    }
  }

  image_push_actions = [
    "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
    "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages",
  ]
  image_pull_actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages", "ecr:BatchCheckLayerAvailability"]
  app_images         = ["postech-app", "postech-migrator"]

  image_roles = {
    "ci-app-images-staging" = {
      repository = "postech-app"
      purpose    = "build the images once (develop, staging) into the staging repositories"
      subjects   = ["${local.subject_prefix}/postech-app:ref:refs/heads/develop", "${local.subject_prefix}/postech-app:ref:refs/heads/staging"]
      managed    = []
      statements = [
        { sid = "LogInToEcr", actions = ["ecr:GetAuthorizationToken"], resources = ["*"], conditions = [] },
        { sid = "PushStagingImages", actions = local.image_push_actions, resources = [for image in local.app_images : "${local.arn.ecr}/postech-staging/${image}"], conditions = [] },
        { sid = "FindRepositories", actions = ["ssm:GetParameter"], resources = ["${local.arn.ssm}/postech/staging/ecr/*"], conditions = [] },
      ]
    }
    "ci-app-images-production" = {
      repository = "postech-app"
      purpose    = "copy the image staging ran, by digest, into the production repositories (main)"
      subjects   = ["${local.subject_prefix}/postech-app:ref:refs/heads/main"]
      managed    = []
      statements = [
        { sid = "LogInToEcr", actions = ["ecr:GetAuthorizationToken"], resources = ["*"], conditions = [] },
        { sid = "PullStagingImages", actions = local.image_pull_actions, resources = [for image in local.app_images : "${local.arn.ecr}/postech-staging/${image}"], conditions = [] },
        { sid = "PushProductionImages", actions = local.image_push_actions, resources = [for image in local.app_images : "${local.arn.ecr}/postech-production/${image}"], conditions = [] },
        { sid = "FindRepositories", actions = ["ssm:GetParameter"], resources = ["${local.arn.ssm}/postech/staging/ecr/*", "${local.arn.ssm}/postech/production/ecr/*"], conditions = [] },
      ]
    }
  }

  roles = merge(local.plan_roles, local.deploy_roles, local.image_roles)
}

resource "aws_iam_role" "workflow" {
  for_each = local.roles

  name                 = each.key
  path                 = "/postech-ci/"
  description          = "${each.value.repository}: ${each.value.purpose}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "trust" {
  for_each = local.roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value.subjects
    }
  }
}

resource "aws_iam_role_policy" "workflow" {
  for_each = local.roles

  name   = "workflow"
  role   = aws_iam_role.workflow[each.key].id
  policy = data.aws_iam_policy_document.workflow[each.key].json
}

data "aws_iam_policy_document" "workflow" {
  #checkov:skip=CKV_AWS_107:The lambda deploy manages its stack's secrets (the token keys' placeholders); reads are by ARN prefix of its stage.
  #checkov:skip=CKV_AWS_108:Terraform refreshes by reading; reads are limited by service and region, writes by name prefix or tag where the resource has one.
  #checkov:skip=CKV_AWS_109:IAM and KMS management is limited to the stage's name prefix (IAM) or Stage tag (KMS).
  #checkov:skip=CKV_AWS_110:iam:* is limited to role/policy/instance-profile names of the stage; the workflow roles live under /postech-ci/, outside that prefix.
  #checkov:skip=CKV_AWS_111:EC2, EKS, RDS, ELB, Lambda, API Gateway and Cognito resources get generated ids, so their writes are limited by service and region (aws:RequestedRegion) only.
  #checkov:skip=CKV_AWS_356:Same: "*" only for services whose resources have generated ids, under the region condition, and for the read/list/describe actions that take no resource.
  #checkov:skip=CKV_AWS_286:Privilege escalation through iam:* is bounded by the stage prefix: a deploy can create roles for its own stage's resources only.
  #checkov:skip=CKV_AWS_287:Credential exposure: the stage's own secrets are what the deploys create and seed.
  #checkov:skip=CKV_AWS_288:Data exfiltration: reads are the stage's own parameters, secrets, state and images.
  #checkov:skip=CKV_AWS_289:Permissions management is limited to the stage prefix (IAM) and Stage tag (KMS).
  #checkov:skip=CKV_AWS_290:Writes without resource constraints are limited to services whose resources get generated ids, in the stage's region.
  #checkov:skip=CKV_AWS_355:"*" resources only where the action takes none or the resource id is generated (see above).
  for_each = local.roles

  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy_attachment" "workflow" {
  for_each = merge([
    for role, spec in local.roles : { for policy in spec.managed : "${role}/${policy}" => { role = role, policy = policy } }
  ]...)

  role       = aws_iam_role.workflow[each.value.role].name
  policy_arn = each.value.policy
}
