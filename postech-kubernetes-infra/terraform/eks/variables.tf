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
