variable "environment" {
  description = "The environment these resources serve: staging or production."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "The environment must be staging or production."
  }
}
{% if values.cloud == "gcp" %}
variable "project" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "The Google Cloud region of the environment."
  type        = string
  default     = "europe-west1"
}
{%- else %}
variable "region" {
  description = "The AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_oidc_provider_arn" {
  description = "The ARN of the Kubernetes cluster's OIDC provider (IAM roles for service accounts)."
  type        = string
}
{%- endif %}

variable "namespace" {
  description = "The Kubernetes namespace the service runs in."
  type        = string
  default     = "${{ values.name }}"
}
