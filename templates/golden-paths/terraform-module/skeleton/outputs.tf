{% if values.provider == "gcp" -%}
output "name" {
  description = "The bucket's name."
  value       = google_storage_bucket.this.name
}

output "url" {
  description = "The bucket's gs:// URL."
  value       = google_storage_bucket.this.url
}
{% else -%}
output "name" {
  description = "The bucket's name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN, for IAM policies."
  value       = aws_s3_bucket.this.arn
}
{% endif -%}
