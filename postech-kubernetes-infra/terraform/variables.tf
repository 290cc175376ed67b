variable "aws_region" {
  description = "AWS region of every resource of the stage."
  type        = string
  default     = "us-east-1"
}

variable "stage" {
  description = "Deployment stage: staging or production. Names SSM parameters, resources and the cluster (postech-<stage>)."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.stage)
    error_message = "stage must be staging or production."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the stage's VPC; split into one public and one private subnet per availability zone."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones of the subnets, by name (2 or 3, in aws_region). Named so that subnets never move when AWS adds a zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
    error_message = "Use 2 or 3 availability zones (EKS and RDS need at least 2)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (cheaper; staging) instead of one per availability zone (production)."
  type        = bool
}

variable "kubernetes_version" {
  description = "EKS control plane version; scripts/validate-kubernetes.sh checks the manifests against the same version."
  type        = string
  default     = "1.33"
}

variable "cluster_public_access_cidrs" {
  description = "Address ranges allowed on the public API endpoint (deploy runners, operators). Empty: the endpoint is private only."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.cluster_public_access_cidrs, "0.0.0.0/0")
    error_message = "The public endpoint must stay restricted: list the runners' and operators' ranges, never 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  description = "Instance types of the app's managed node group (first one preferred)."
  type        = list(string)
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT for the app's node group."
  type        = string
  default     = "ON_DEMAND"
}

variable "node_min_size" {
  description = "Minimum number of app nodes."
  type        = number
}

variable "node_max_size" {
  description = "Maximum number of app nodes."
  type        = number
}

variable "node_desired_size" {
  description = "Initial number of app nodes (later changes are left to the autoscaler or to operators)."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the VPC flow logs and the EKS control-plane logs in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "app_namespace" {
  description = "Kubernetes namespace of postech-app (k8s/platform/namespace.yaml); scopes IRSA trust and deployer access."
  type        = string
  default     = "postech"
}

variable "app_port" {
  description = "Port the app listens on in its container (APP_PORT); the load balancer checks /ready through the node port."
  type        = number
  default     = 8000
}

variable "app_node_port" {
  description = "NodePort of the app's Service (k8s/base/service.yaml): the internal load balancer's target port on every node."
  type        = number
  default     = 30080

  validation {
    condition     = var.app_node_port >= 30000 && var.app_node_port <= 32767
    error_message = "NodePorts live in 30000-32767."
  }
}

variable "load_balancer_cidr" {
  description = "Range of the VPC reserved for the internal load balancer's subnets (a /24, outside the network module's /20 subnets). The app's NetworkPolicy admits exactly this range (k8s/overlays/<stage>: scripts/check_manifests.py compares them)."
  type        = string

  validation {
    condition     = can(cidrhost(var.load_balancer_cidr, 0)) && endswith(var.load_balancer_cidr, "/24")
    error_message = "load_balancer_cidr must be a /24 of the VPC (one /26 per availability zone)."
  }
}

variable "app_tls_server_name" {
  description = "Name on the internal load balancer's certificate, e.g. app-origin.<stage>.<chain's domain>: API Gateway connects to it over TLS and verifies this name. Needs no DNS record of its own."
  type        = string
}

variable "otlp_server_name" {
  description = "Name of the edge functions' OTLP endpoint, e.g. otlp.<stage>.<chain's domain> (under dns_zone_name, which validates its certificate). A private hosted zone resolves it to the internal OTLP load balancer inside the VPC only; published as SSM /postech/<stage>/tracing/edge-otlp-endpoint."
  type        = string
}

variable "otlp_node_port" {
  description = "NodePort of the collector's edge Service (monitoring/tracing.tf): the OTLP load balancer's target port on every node."
  type        = number
  default     = 30318

  validation {
    condition     = var.otlp_node_port >= 30000 && var.otlp_node_port <= 32767 && var.otlp_node_port != var.app_node_port
    error_message = "NodePorts live in 30000-32767, and the collector's is not the app's."
  }
}

variable "dns_zone_name" {
  description = "The chain's public Route 53 hosted zone (a parent of app_tls_server_name), where the certificate's DNS validation record is written."
  type        = string

  validation {
    condition     = !endswith(var.dns_zone_name, ".example")
    error_message = "dns_zone_name is still the placeholder: set the chain's public Route 53 zone in <stage>.tfvars (and app_tls_server_name under it)."
  }
}

variable "load_balancer_deletion_protection" {
  description = "Refuse to delete the internal load balancer (production: true)."
  type        = bool
}

variable "image_retention_count" {
  description = "How many tagged images each ECR repository keeps (older ones expire)."
  type        = number
  default     = 50
}

variable "cluster_admin_principal_arns" {
  description = "IAM roles or users given cluster-admin access entries (the principal that applies this Terraform is admin already)."
  type        = list(string)
  default     = []
}

variable "namespace_deployer_principal_arns" {
  description = "IAM roles of deploy workflows (postech-app's, postech-database-infra's migration tunnel): edit in the app namespace, view elsewhere."
  type        = list(string)
  default     = []
}

variable "lab_role_arn" {
  description = "AWS Academy fallback: an existing role (LabRole) used for the cluster, the nodes and the flow logs when IAM roles cannot be created. Null creates dedicated roles, IRSA included."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "addon_versions" {
  description = "Exact EKS add-on builds (coredns, kube-proxy, metrics-server, vpc-cni) for kubernetes_version; set per stage so an upgrade is a reviewed tfvars change."
  type        = map(string)
}

variable "interface_endpoint_zone_count" {
  description = "Zones in which each interface VPC endpoint has a network interface (staging 1, production 2: docs/cost.md prices each)."
  type        = number
}

variable "registration_email_domain" {
  description = "Domain of the sender of postech-app's registration e-mails (REGISTRATION_EMAIL_FROM = no-reply@<this> in k8s/overlays/<stage>): an identity verified in the stage's Amazon SES. The app may send (ses:SendEmail) as this identity only; scripts/check_manifests.py compares the overlay's sender with it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)+$", var.registration_email_domain))
    error_message = "registration_email_domain must be a domain name (the SES identity), not an address."
  }
}
