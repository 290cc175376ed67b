stage              = "production"
vpc_cidr           = "10.30.0.0/16"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = false
# Two zones of interface endpoints: one zone lost leaves the other (the third zone reaches them
# across zones); a third costs docs/cost.md's per-zone price for six endpoints.
interface_endpoint_zone_count = 2
kubernetes_version            = "1.33"
# Exact add-on builds for 1.33 (aws eks describe-addon-versions --kubernetes-version 1.33).
addon_versions = {
  coredns          = "v1.12.3-eksbuild.1"
  "kube-proxy"     = "v1.33.5-eksbuild.2"
  "metrics-server" = "v0.8.0-eksbuild.3"
  "vpc-cni"        = "v1.20.4-eksbuild.2"
}
node_instance_types = ["m6i.large", "m5.large"]
node_capacity_type  = "ON_DEMAND"
# HPA 3-12 pods of 500m (+3 surge during a rollout at the maximum) and the platform need 6
# nodes at most (scripts/check_platform.py); 3 hold the minimum in three zones.
node_min_size       = 3
node_max_size       = 6
node_desired_size   = 3
log_retention_days  = 365
load_balancer_cidr  = "10.30.240.0/24"
app_tls_server_name = "app-origin.production.postech.example"
otlp_server_name    = "otlp.production.postech.example"
dns_zone_name       = "postech.example"
# The SES identity the registration e-mails are sent from (verify it in SES before the deploy).
registration_email_domain         = "postech.example"
load_balancer_deletion_protection = true
image_retention_count             = 100
# The on-call list of the stage (replace the postech.example address with the team's).
alarm_email               = "oncall-production@postech.example"
prometheus_retention_days = 30
prometheus_volume_gib     = 100
trace_retention_hours     = 168
trace_volume_gib          = 50
