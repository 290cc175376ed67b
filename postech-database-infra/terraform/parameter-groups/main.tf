resource "aws_db_parameter_group" "this" {
  # A prefix, because a new family (major upgrade) replaces the group, and the replacement
  # is created before the old one is destroyed.
  name_prefix = "${var.name}-"
  family      = var.family
  description = "postech PostgreSQL settings (${var.name})."

  # TLS only: refuse unencrypted connections.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # DDL is logged (who changed the schema, when). The migrator sends role passwords as SCRAM
  # verifiers, so this never records a password.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.slow_statement_ms)
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  # Every temporary file: a sort or hash spilling to disk means work_mem or a query to fix.
  parameter {
    name  = "log_temp_files"
    value = "0"
  }

  parameter {
    name  = "log_autovacuum_min_duration"
    value = "1000"
  }

  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = tostring(var.idle_in_transaction_timeout_ms)
  }

  # Server messages in English whatever the instance's locale: the app recognises deadlocks,
  # unstorable text and terminated sessions by PostgreSQL's message (its driver hides the
  # SQLSTATE of those), and checks this setting on every new connection.
  parameter {
    name  = "lc_messages"
    value = "C"
  }

  lifecycle {
    create_before_destroy = true
  }
}
