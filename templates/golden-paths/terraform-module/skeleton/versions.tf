terraform {
  required_version = ">= ${{ values.terraformVersion }}"

  required_providers {
{%- if values.provider == "gcp" %}
    google = {
      source  = "hashicorp/google"
      version = ">= 5.0"
    }
{%- else %}
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
{%- endif %}
  }
}
