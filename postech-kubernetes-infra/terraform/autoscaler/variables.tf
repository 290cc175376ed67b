variable "name" {
  description = "Prefix of the autoscaler's IAM role (postech-<stage>)."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster whose managed node groups the autoscaler resizes (auto-discovery by the k8s.io/cluster-autoscaler/<cluster> tag EKS puts on their Auto Scaling groups)."
  type        = string
}

variable "kubernetes_version" {
  description = "Control plane version (major.minor): the autoscaler's image must be the same minor (image_tags)."
  type        = string
}

variable "node_autoscaling_group_names" {
  description = "Auto Scaling groups of the managed node groups: the only groups the autoscaler's role may resize."
  type        = list(string)
}

variable "oidc_provider_arn" {
  description = "IRSA OIDC provider of the cluster (null under the AWS Academy fallback)."
  type        = string
  default     = null
}

variable "create_irsa_role" {
  description = "Create the autoscaler's IRSA role (false under the AWS Academy fallback: the pod uses the node role)."
  type        = bool
}

variable "image_tags" {
  description = "Cluster Autoscaler image tag per Kubernetes minor (its releases follow Kubernetes minors; a mismatched minor is unsupported)."
  type        = map(string)
  default = {
    "1.33" = "v1.33.1"
  }
}

variable "scale_down_utilization_threshold" {
  description = "A node whose requested CPU and memory both stay below this fraction for scale_down_unneeded_time is drained (PodDisruptionBudgets respected) and removed."
  type        = number
  default     = 0.5
}

variable "scale_down_unneeded_time" {
  description = "How long a node must stay under-used before it is removed (Go duration)."
  type        = string
  default     = "10m"
}
