# Private AWS access (./endpoints): S3 gateway and interface endpoints for ECR, STS, Secrets
# Manager, SSM and CloudWatch Logs, with endpoint policies. The NAT gateway stays for what
# has no endpoint here, Mercado Pago first (README.md, "Private AWS access").
module "endpoints" {
  source = "./endpoints"

  name                          = local.name
  vpc_id                        = module.network.vpc_id
  private_subnet_ids            = module.network.private_subnet_ids
  private_route_table_ids       = module.network.private_route_table_ids
  interface_endpoint_zone_count = var.interface_endpoint_zone_count
  client_security_group_ids = merge(
    {
      nodes     = module.eks.node_security_group_id
      workloads = module.eks.workload_security_group_id
      # The auth edge's Lambda functions read their keys from Secrets Manager.
      "edge-functions" = module.edge_otlp.edge_functions_security_group_id
    },
    var.lab_role_arn == null ? { "deploy-executor" = module.deploy_executor[0].security_group_id } : {},
  )
}
