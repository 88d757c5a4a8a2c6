variable "name" {
  description = "The bucket's name, unique across ${{ 'Google Cloud' if values.provider == 'gcp' else 'AWS' }}."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "The name must be 3 to 63 lower-case letters, digits, dots and dashes."
  }
}
{%- if values.provider == "gcp" %}

variable "location" {
  description = "Where the bucket's data lives: a region (europe-west1) or a multi-region (EU)."
  type        = string
  default     = "EU"
}
{%- endif %}

variable "versioning" {
  description = "Keep old versions of overwritten and deleted objects."
  type        = bool
  default     = ${{ "true" if values.versioning else "false" }}
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which old versions are deleted (with versioning)."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds objects."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Tags (AWS) or labels (Google Cloud) added to the bucket."
  type        = map(string)
  default     = {}
}
