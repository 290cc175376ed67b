stage                           = "production"
instance_class                  = "db.m6g.large"
allocated_storage_gib           = 50
max_allocated_storage_gib       = 200
multi_az                        = true
deletion_protection             = true
skip_final_snapshot             = false
backup_retention_days           = 14
max_connections_alarm_threshold = 600
log_retention_days              = 365
# The on-call list of the stage (replace the postech.example address with the team's).
alarm_email                         = "oncall-production@postech.example"
freeable_memory_alarm_threshold_mib = 800
# A read replica in the zone the primary and its standby leave free (check after the first
# apply: aws rds describe-db-instances, AvailabilityZone and SecondaryAvailabilityZone), and
# the automated backups copied to us-west-2.
read_replica              = true
replica_availability_zone = "us-east-1c"
backup_replication_region = "us-west-2"
