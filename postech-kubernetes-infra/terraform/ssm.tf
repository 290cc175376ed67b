# What the other repositories read. The vpc/* and eks/{workload-security-group-id,
# cluster-name,vpc-link-security-group-id,app-load-balancer-arn,app-tls-server-name,
# edge-functions-security-group-id} and tracing/edge-otlp-endpoint names are
# fixed by their readers (postech-database-infra, postech-lambda-functions: README.md, "SSM
# contract"); the rest feed the app's deploy (scripts/deploy-app.sh). Ids, ARNs and names
# only, no secret values.
locals {
  # IRSA roles exist only when IAM roles can be created; under the AWS Academy fallback the
  # pods use the node role and the deploy drops the ServiceAccount annotation ("none").
  workload_role_arns = var.lab_role_arn == null ? {
    app      = module.iam[0].app_role_arn
    migrator = module.iam[0].migrator_role_arn
    } : {
    app      = "none"
    migrator = "none"
  }

  ssm_out = {
    "vpc/id"                               = { type = "String", value = module.network.vpc_id }
    "vpc/private-subnet-ids"               = { type = "StringList", value = join(",", module.network.private_subnet_ids) }
    "eks/workload-security-group-id"       = { type = "String", value = module.eks.workload_security_group_id }
    "eks/cluster-name"                     = { type = "String", value = module.eks.cluster_name }
    "eks/vpc-link-security-group-id"       = { type = "String", value = module.vpc_link.vpc_link_security_group_id }
    "eks/app-load-balancer-arn"            = { type = "String", value = module.vpc_link.load_balancer_arn }
    "eks/app-tls-server-name"              = { type = "String", value = module.vpc_link.tls_server_name }
    "eks/edge-functions-security-group-id" = { type = "String", value = module.edge_otlp.edge_functions_security_group_id }
    "tracing/edge-otlp-endpoint"           = { type = "String", value = module.edge_otlp.endpoint }
    "eks/app-role-arn"                     = { type = "String", value = local.workload_role_arns.app }
    "eks/migrator-role-arn"                = { type = "String", value = local.workload_role_arns.migrator }
    "ecr/postech-app-repository"           = { type = "String", value = module.ecr.repository_urls["postech-app"] }
    "ecr/postech-migrator-repository"      = { type = "String", value = module.ecr.repository_urls["postech-migrator"] }
    "ses/identity-arn"                     = { type = "String", value = aws_sesv2_email_identity.sender.arn }
    "ses/from-address"                     = { type = "String", value = local.email_sender_address }
  }
}

resource "aws_ssm_parameter" "platform" {
  #checkov:skip=CKV2_AWS_34:Not secret (ids, ARNs and repository URLs that other repositories read); nothing secret is written to SSM here.
  for_each = local.ssm_out

  name        = "/postech/${var.stage}/${each.key}"
  description = "postech ${var.stage}: ${each.key} (written by postech-kubernetes-infra)."
  type        = each.value.type
  value       = each.value.value
}
