{% if values.cloud == "gcp" -%}
output "service_account_email" {
  description = "Annotate the Kubernetes service account with it (iam.gke.io/gcp-service-account)."
  value       = google_service_account.service.email
}
{% else -%}
output "service_role_arn" {
  description = "Annotate the Kubernetes service account with it (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.service.arn
}
{% endif -%}
