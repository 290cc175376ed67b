output "name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}
