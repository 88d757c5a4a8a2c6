# The cloud identity of ${{ values.name }}: its Kubernetes service account acts as it.
{%- if values.cloud == "gcp" %}

provider "google" {
  project = var.project
  region  = var.region

  default_labels = {
    service     = "${{ values.name }}"
    environment = var.environment
  }
}

resource "google_service_account" "service" {
  # Service account ids have at most 30 characters.
  account_id   = "${substr("${{ values.name }}", 0, 24)}-${substr(var.environment, 0, 4)}"
  display_name = "${{ values.name }} (${var.environment})"
}

resource "google_service_account_iam_member" "workload_identity" {
  service_account_id = google_service_account.service.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project}.svc.id.goog[${var.namespace}/${{ values.name }}]"
}
{%- else %}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Service     = "${{ values.name }}"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_iam_policy_document" "assume_from_service_account" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.cluster_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(var.cluster_oidc_provider_arn, "/^.*oidc-provider\\//", "")}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${{ values.name }}"]
    }
  }
}

resource "aws_iam_role" "service" {
  name               = "${{ values.name }}-${var.environment}"
  assume_role_policy = data.aws_iam_policy_document.assume_from_service_account.json
}
{%- endif %}
