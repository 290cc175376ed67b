stage                           = "staging"
instance_class                  = "db.t4g.medium"
allocated_storage_gib           = 20
max_allocated_storage_gib       = 50
multi_az                        = false
deletion_protection             = false
skip_final_snapshot             = true
backup_retention_days           = 7
max_connections_alarm_threshold = 300
log_retention_days              = 365
# The on-call list of the stage (replace the postech.example address with the team's).
alarm_email                         = "oncall-staging@postech.example"
freeable_memory_alarm_threshold_mib = 400
# No replica and no cross-region copy in staging (docs/cost.md in postech-kubernetes-infra
# prices both): staging's data is rebuilt from the seed.
read_replica              = false
backup_replication_region = null
