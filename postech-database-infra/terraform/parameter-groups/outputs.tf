output "name" {
  description = "Name of the DB parameter group."
  value       = aws_db_parameter_group.this.name
}
