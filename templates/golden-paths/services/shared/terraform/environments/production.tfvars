# terraform workspace select production && terraform apply -var-file=environments/production.tfvars
environment = "production"

# Still to add, from the production account's platform:
{% if values.cloud == "gcp" -%}
#   project = "<the Google Cloud project>"
{%- if values.database %}
#   database_network = "<the VPC network's self link>"
{%- endif %}
{% else -%}
#   cluster_oidc_provider_arn = "<the EKS cluster's OIDC provider ARN>"
{%- if values.database %}
#   database_subnet_group       = "<a DB subnet group>"
#   database_security_group_ids = ["<the cluster nodes' security group>"]
{%- endif %}
{% endif -%}
