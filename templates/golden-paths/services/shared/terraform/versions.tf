# State lives remotely, one workspace per environment: `terraform workspace select staging`.
terraform {
  required_version = ">= 1.6"
{%- if values.cloud == "gcp" %}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }

  backend "gcs" {
    bucket = "${{ values.destination.owner | lower }}-terraform-state"
    prefix = "services/${{ values.name }}"
  }
{%- else %}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  backend "s3" {
    bucket       = "${{ values.destination.owner | lower }}-terraform-state"
    key          = "services/${{ values.name }}/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
{%- endif %}
}
