variable "name" {
  description = "Name of the DB parameter group."
  type        = string
}

variable "family" {
  description = "Parameter group family, e.g. postgres17."
  type        = string
}

variable "slow_statement_ms" {
  description = "Statements slower than this are logged with their duration (log_min_duration_statement)."
  type        = number
  default     = 500
}

variable "idle_in_transaction_timeout_ms" {
  description = "Sessions idle inside a transaction longer than this are ended, releasing their locks."
  type        = number
  default     = 60000
}
