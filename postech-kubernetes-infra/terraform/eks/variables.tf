variable "cluster_name" {
  description = "EKS cluster name (postech-<stage>); prefixes the key and the workload security group."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS control plane version."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the control plane ENIs and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "Ranges allowed on the public API endpoint; empty turns the public endpoint off."
  type        = list(string)
}

variable "node_instance_types" {
  description = "Instance types of the app node group."
  type        = list(string)
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
}

variable "node_min_size" {
  description = "Minimum nodes."
  type        = number
}

variable "node_max_size" {
  description = "Maximum nodes."
  type        = number
}

variable "node_desired_size" {
  description = "Initial nodes."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the control-plane logs."
  type        = number
}

variable "app_namespace" {
  description = "Namespace the deployer access entries may edit."
  type        = string
}

variable "cluster_admin_principal_arns" {
  description = "Principals given AmazonEKSClusterAdminPolicy."
  type        = list(string)
}

variable "namespace_deployer_principal_arns" {
  description = "Principals given AmazonEKSEditPolicy in app_namespace and AmazonEKSViewPolicy cluster-wide."
  type        = list(string)
}

variable "existing_role_arn" {
  description = "Existing role for the cluster and the nodes (AWS Academy's LabRole); null creates dedicated roles and IRSA."
  type        = string
  default     = null
}

variable "addon_versions" {
  description = "Exact build of each EKS add-on (coredns, kube-proxy, metrics-server, vpc-cni) for kubernetes_version: `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`."
  type        = map(string)

  validation {
    condition = alltrue([
      for name in ["coredns", "kube-proxy", "metrics-server", "vpc-cni"] :
      can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", lookup(var.addon_versions, name, "")))
    ])
    error_message = "addon_versions must pin coredns, kube-proxy, metrics-server and vpc-cni to exact builds (vX.Y.Z-eksbuild.N)."
  }
}

variable "app_port" {
  description = "The app's container port (admitted on the workload security group from the load balancer and the nodes)."
  type        = number
}

variable "load_balancer_security_group_id" {
  description = "Security group of the internal load balancer in front of the app (../vpc-link)."
  type        = string
}

variable "database_subnet_cidrs" {
  description = "Ranges of the subnets the database lives in (its DB subnet group): the only destinations of 5432 from the workload pods."
  type        = list(string)
}
