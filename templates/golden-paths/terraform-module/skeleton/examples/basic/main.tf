# The module with its defaults: `terraform init && terraform plan` here shows what it creates.
{%- if values.provider == "gcp" %}

provider "google" {
  project = var.project
}

variable "project" {
  description = "The Google Cloud project to create the example in."
  type        = string
}
{%- else %}

provider "aws" {
  region = "eu-west-1"
}
{%- endif %}

module "${{ values.name | replace('-', '_') }}" {
  source = "../.."

  name = "example-${{ values.name }}"

  labels = {
    example = "basic"
  }
}

output "name" {
  value = module.${{ values.name | replace('-', '_') }}.name
}
