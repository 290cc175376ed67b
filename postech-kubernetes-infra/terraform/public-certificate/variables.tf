variable "name" {
  description = "The certificate's Name tag."
  type        = string
}

variable "domain_name" {
  description = "The one name on the certificate (the load balancer's TLS server name)."
  type        = string
}

variable "dns_zone_name" {
  description = "The stage's public Route 53 zone, where the validation records go."
  type        = string
}
