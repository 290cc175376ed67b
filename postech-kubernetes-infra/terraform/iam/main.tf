data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# The stage's customer pool, as postech-lambda-functions publishes it
# (/postech/<stage>/cognito/user-pool-arn). By path, so that a stage whose pool does not exist
# yet plans with no Cognito permission instead of failing.
data "aws_ssm_parameters_by_path" "cognito" {
  path = "/postech/${var.stage}/cognito"
}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name

  # The OIDC issuer host, as IRSA condition keys spell it (the provider ARN without its prefix).
  oidc_issuer = replace(var.oidc_provider_arn, "/^arn:[^:]+:iam::[0-9]+:oidc-provider\\//", "")

  # Secrets Manager appends a random 6-character suffix to every secret ARN. Never the JWT
  # signing key (postech/<stage>/jwt-signing-key): scripts/check_terraform.py fails if it
  # appears here.
  secret_arn = {
    app_database         = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:postech/${var.stage}/app-database-??????"
    mercadopago          = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:postech/${var.stage}/mercadopago-??????"
    jwt_verification_key = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:postech/${var.stage}/jwt-verification-key-??????"
  }

  # The RDS-managed master secrets of the account (the statement that uses it narrows to the
  # stage's instance by tag).
  master_secret_arn = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:rds!db-*"

  # The provider marks every value of a by-path read sensitive; a pool ARN is not a secret.
  cognito_parameters    = zipmap(data.aws_ssm_parameters_by_path.cognito.names, nonsensitive(data.aws_ssm_parameters_by_path.cognito.values))
  cognito_user_pool_arn = lookup(local.cognito_parameters, "/postech/${var.stage}/cognito/user-pool-arn", null)

  # The verified SES identity of the registration e-mails' sender (a domain identity authorises
  # every address under it).
  registration_email_identity_arn = "arn:aws:ses:${local.region}:${local.account}:identity/${var.registration_email_domain}"
}

# ---- The app (ServiceAccount postech-app) ------------------------------------------------
# Reads its database credentials, the Mercado Pago credentials and the public token
# verification keys (postech/<stage>/jwt-verification-key, {kid, public_key_pem}, written by
# postech-lambda-functions), nothing else: never the JWT signing key
# (postech/<stage>/jwt-signing-key), which only the auth Lambda reads.
resource "aws_iam_role" "app" {
  name                 = "${var.name}-app"
  description          = "postech-app pods (IRSA: ${var.namespace}/${var.app_service_account})"
  assume_role_policy   = data.aws_iam_policy_document.trust["app"].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [local.secret_arn.app_database, local.secret_arn.mercadopago]
  }

  # The token verification keys: re-read on a token naming an unknown kid, so a key rotation
  # reaches running pods without a restart. GetSecretValue only (the SDK's key ring reads the
  # AWSCURRENT and AWSPREVIOUS versions).
  statement {
    sid       = "ReadJwtVerificationKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.secret_arn.jwt_verification_key]
  }

  # The secrets' KMS keys belong to other repositories and are created after this one, so
  # the key is not named: decryption is allowed only through Secrets Manager and only for
  # these three secrets (the encryption context names the secret). The verification secret
  # shares its key with the signing key; the context keeps the signing key undecryptable.
  statement {
    sid       = "DecryptOwnSecretsThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = ["arn:aws:kms:${local.region}:${local.account}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [local.secret_arn.app_database, local.secret_arn.mercadopago, local.secret_arn.jwt_verification_key]
    }
  }

  # Customer registration writes the Cognito user (and deletes it if the database write
  # fails), on the stage's own pool only: its ARN comes from SSM, written by
  # postech-lambda-functions, which creates the pool after this repository. Until that
  # parameter exists the statement is absent (no Cognito access at all, never a wildcard pool);
  # the first bring-up of a stage re-applies this stack after postech-lambda-functions
  # (README.md, "Apply order").
  dynamic "statement" {
    for_each = local.cognito_user_pool_arn == null ? [] : [local.cognito_user_pool_arn]
    content {
      sid       = "ManageCustomerIdentities"
      actions   = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminDeleteUser"]
      resources = [statement.value]
    }
  }

  # Whether the admin of an admin token is still enabled and in group admin (postech-app's
  # AdminStatusCache): a disabled admin's tokens are refused within ADMIN_STATUS_CACHE_SECONDS.
  dynamic "statement" {
    for_each = local.cognito_user_pool_arn == null ? [] : [local.cognito_user_pool_arn]
    content {
      sid       = "ReadAdminStatus"
      actions   = ["cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"]
      resources = [statement.value]
    }
  }

  # The registration's verification codes (postech-app REGISTRATION_EMAIL_FROM), as the stage's
  # sender identity only.
  statement {
    sid       = "SendRegistrationEmails"
    actions   = ["ses:SendEmail"]
    resources = [local.registration_email_identity_arn]
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "postech-app"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

# ---- The migrator (ServiceAccount postech-migrator, the migration Job) --------------------
# `postech-migrator up` connects as the schema owner with the RDS-managed master secret, read
# at each run (MIGRATOR_DATABASE_SECRET_ID, k8s/base/migration-job.yaml), and reads
# postech/<stage>/app-database to create or update the app's role with that password.
resource "aws_iam_role" "migrator" {
  name                 = "${var.name}-migrator"
  description          = "postech-migrator Job (IRSA: ${var.namespace}/${var.migrator_service_account})"
  assume_role_policy   = data.aws_iam_policy_document.trust["migrator"].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "migrator" {
  statement {
    sid       = "ReadAppDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [local.secret_arn.app_database]
  }

  # RDS names its managed secret rds!db-<uuid>, unknown before postech-database-infra creates
  # the instance (after this repository), and tags it with the instance's ARN: the tag limits
  # this to the stage's own instance, postech-<stage> (postech-database-infra terraform).
  statement {
    sid       = "ReadStageMasterSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [local.master_secret_arn]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["arn:aws:rds:${local.region}:${local.account}:db:postech-${var.stage}"]
    }
  }

  statement {
    sid       = "DecryptAppDatabaseSecretThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = ["arn:aws:kms:${local.region}:${local.account}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [local.secret_arn.app_database, local.master_secret_arn]
    }
  }
}

resource "aws_iam_role_policy" "migrator" {
  name   = "postech-migrator"
  role   = aws_iam_role.migrator.id
  policy = data.aws_iam_policy_document.migrator.json
}

# ---- IRSA trust: one ServiceAccount per role ---------------------------------------------
data "aws_iam_policy_document" "trust" {
  for_each = {
    app      = var.app_service_account
    migrator = var.migrator_service_account
  }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${each.value}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}
