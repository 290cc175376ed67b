locals {
  create_roles = var.existing_role_arn == null

  # EKS access policies (authentication_mode = "API": no aws-auth ConfigMap).
  access_policy = {
    admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    edit  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
    view  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
  }

  admin_entries = {
    for arn in var.cluster_admin_principal_arns : "admin-${arn}" => {
      principal_arn = arn
      policy_associations = {
        admin = { policy_arn = local.access_policy.admin, access_scope = { type = "cluster" } }
      }
    }
  }

  # Deploy workflows: everything in the app namespace (Deployment, Job, Service, HPA, PDB,
  # NetworkPolicy, the migration tunnel's pod and port-forward), read-only elsewhere.
  deployer_entries = {
    for arn in var.namespace_deployer_principal_arns : "deployer-${arn}" => {
      principal_arn = arn
      policy_associations = {
        edit = { policy_arn = local.access_policy.edit, access_scope = { type = "namespace", namespaces = [var.app_namespace] } }
        view = { policy_arn = local.access_policy.view, access_scope = { type = "cluster" } }
      }
    }
  }
}

module "eks" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact release (version below); the registry does not offer commit pinning, and upgrades are reviewed in pull requests with their plan.
  source  = "terraform-aws-modules/eks/aws"
  version = "20.37.2"

  cluster_name    = var.cluster_name
  cluster_version = var.kubernetes_version

  vpc_id                   = var.vpc_id
  subnet_ids               = var.private_subnet_ids
  control_plane_subnet_ids = var.private_subnet_ids

  # Nodes and the VPC reach the API privately; the public endpoint exists only for the listed
  # ranges (deploy runners, operators) and is off when none is listed.
  cluster_endpoint_private_access      = true
  cluster_endpoint_public_access       = length(var.public_access_cidrs) > 0
  cluster_endpoint_public_access_cidrs = var.public_access_cidrs

  # Kubernetes Secrets encrypted with our key (envelope encryption), all control-plane logs.
  create_kms_key = false
  cluster_encryption_config = {
    provider_key_arn = module.cluster_key.key_arn
    resources        = ["secrets"]
  }
  cluster_enabled_log_types              = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  cloudwatch_log_group_kms_key_id        = module.cluster_key.key_arn

  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = true
  access_entries                           = merge(local.admin_entries, local.deployer_entries)

  # IRSA: the OIDC provider the app's and the migrator's roles trust (../iam).
  enable_irsa = local.create_roles

  create_iam_role = local.create_roles
  iam_role_arn    = var.existing_role_arn

  # Add-on builds pinned per stage (addon_versions in <stage>.tfvars, for the stage's
  # kubernetes_version): a plan never moves them on its own; an upgrade is a reviewed change of
  # the tfvars (README.md lists how to find the builds for a version).
  cluster_addons = {
    coredns    = { addon_version = var.addon_versions["coredns"] }
    kube-proxy = { addon_version = var.addon_versions["kube-proxy"] }
    # Resource metrics for the app's HorizontalPodAutoscaler (EKS community add-on).
    metrics-server = { addon_version = var.addon_versions["metrics-server"] }
    vpc-cni = {
      addon_version  = var.addon_versions["vpc-cni"]
      before_compute = true
      # The VPC CNI's network policy agent enforces k8s/base/network-policy.yaml.
      # ENABLE_POD_ENI: security groups for pods (trunk ENI per node, a branch ENI per selected
      # pod), so the workload security group is carried by the app's and the migrator's pods
      # only (k8s/platform/security-group-policies.yaml), not by the nodes. Standard mode: the
      # NodePort path with externalTrafficPolicy Local and the kubelet's probes keep working,
      # and the NetworkPolicies still apply to those pods. TCP early demux off: the kubelet's
      # TCP probes to branch-ENI pods need it (EKS user guide, security groups for pods).
      configuration_values = jsonencode({
        enableNetworkPolicy = "true"
        env = {
          ENABLE_POD_ENI                    = "true"
          POD_SECURITY_GROUP_ENFORCING_MODE = "standard"
        }
        init = { env = { DISABLE_TCP_EARLY_DEMUX = "true" } }
      })
    }
  }

  # The cluster role gets AmazonEKSVPCResourceController (the module's default), which
  # manages the trunk and branch ENIs of security groups for pods.
  enable_security_groups_for_pods = true

  eks_managed_node_groups = {
    app = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      capacity_type  = var.node_capacity_type
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size
      subnet_ids     = var.private_subnet_ids

      # The workload security group is not on the nodes: only the pods that
      # k8s/platform/security-group-policies.yaml selects carry it (security_group.tf).

      create_iam_role = local.create_roles
      iam_role_arn    = var.existing_role_arn

      # IMDSv2 only. With IRSA, pods never need the node's credentials: one hop keeps them
      # out of reach. The Academy fallback has no IRSA, so pods use the node role (two hops).
      metadata_options = {
        http_endpoint               = "enabled"
        http_tokens                 = "required"
        http_put_response_hop_limit = local.create_roles ? 1 : 2
      }

      block_device_mappings = {
        xvda = {
          device_name = "/dev/xvda"
          ebs = {
            volume_size           = 40
            volume_type           = "gp3"
            encrypted             = true
            delete_on_termination = true
          }
        }
      }

      labels = { "postech.io/workload" = "app" }

      # The Cluster Autoscaler (../autoscaler) moves desired_size between min_size and
      # max_size; the module ignores later changes of desired_size, so an apply never undoes it.
    }
  }
}
