# The service's PostgreSQL database. Its connection URL reaches the pods through the Secret
# named in chart/values.yaml (database.secretName).
{%- if values.cloud == "gcp" %}

variable "database_tier" {
  description = "The Cloud SQL machine tier."
  type        = string
  default     = "db-custom-1-3840"
}

variable "database_network" {
  description = "The VPC network (self link) the database is reachable from."
  type        = string
}

resource "google_sql_database_instance" "main" {
  name                = "${{ values.name }}-${var.environment}"
  database_version    = "POSTGRES_16"
  region              = var.region
  deletion_protection = var.environment == "production"

  settings {
    tier              = var.database_tier
    availability_type = var.environment == "production" ? "REGIONAL" : "ZONAL"

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = var.environment == "production"
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.database_network
    }
  }
}

resource "google_sql_database" "main" {
  name     = "${{ values.name | replace('-', '_') }}"
  instance = google_sql_database_instance.main.name
}

output "database_connection_name" {
  description = "The Cloud SQL instance's connection name."
  value       = google_sql_database_instance.main.connection_name
}
{%- else %}

variable "database_instance_class" {
  description = "The RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "database_subnet_group" {
  description = "The DB subnet group the database lives in."
  type        = string
}

variable "database_security_group_ids" {
  description = "Security groups allowed to reach the database (the cluster's nodes)."
  type        = list(string)
}

resource "aws_db_instance" "main" {
  identifier                  = "${{ values.name }}-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16"
  instance_class              = var.database_instance_class
  allocated_storage           = 20
  max_allocated_storage       = 100
  storage_encrypted           = true
  db_name                     = "${{ values.name | replace('-', '_') }}"
  username                    = "service"
  manage_master_user_password = true
  db_subnet_group_name        = var.database_subnet_group
  vpc_security_group_ids      = var.database_security_group_ids
  multi_az                    = var.environment == "production"
  backup_retention_period     = var.environment == "production" ? 14 : 1
  deletion_protection         = var.environment == "production"
  skip_final_snapshot         = var.environment != "production"
  final_snapshot_identifier   = "${{ values.name }}-${var.environment}-final"
}

output "database_endpoint" {
  description = "The database's host and port."
  value       = aws_db_instance.main.endpoint
}

output "database_password_secret_arn" {
  description = "The Secrets Manager secret RDS keeps the master password in."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}
{%- endif %}
