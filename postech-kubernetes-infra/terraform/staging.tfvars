stage              = "staging"
vpc_cidr           = "10.20.0.0/16"
availability_zones = ["us-east-1a", "us-east-1b"]
single_nat_gateway = true
# One zone of interface endpoints: staging survives losing it as it survives losing its NAT.
interface_endpoint_zone_count = 1
kubernetes_version            = "1.33"
# Exact add-on builds for 1.33 (aws eks describe-addon-versions --kubernetes-version 1.33).
addon_versions = {
  coredns          = "v1.12.3-eksbuild.1"
  "kube-proxy"     = "v1.33.5-eksbuild.2"
  "metrics-server" = "v0.8.0-eksbuild.3"
  "vpc-cni"        = "v1.20.4-eksbuild.2"
}
# Spot in staging (losing a node costs a retry, not a sale), three Nitro types of one shape (2
# vCPU, 8 GiB: the autoscaler sizes a group by its first type) for capacity; no t family:
# security groups for pods need trunk ENIs, which t instances lack.
node_instance_types = ["m6i.large", "m5.large", "m6a.large"]
node_capacity_type  = "SPOT"
# HPA 2-4 pods of 250m (+1 surge) and the platform fit on 2; 4 leaves room for a lost spot node.
node_min_size       = 2
node_max_size       = 4
node_desired_size   = 2
log_retention_days  = 365
load_balancer_cidr  = "10.20.240.0/24"
app_tls_server_name = "app-origin.staging.postech.example"
otlp_server_name    = "otlp.staging.postech.example"
dns_zone_name       = "postech.example"
# The SES identity the registration e-mails are sent from (verify it in SES before the deploy).
registration_email_domain         = "staging.postech.example"
load_balancer_deletion_protection = false
image_retention_count             = 30
# The on-call list of the stage (replace the postech.example address with the team's).
alarm_email               = "oncall-staging@postech.example"
prometheus_retention_days = 15
prometheus_volume_gib     = 30
trace_retention_hours     = 72
trace_volume_gib          = 10
