variable "name_prefix" {
  description = "Prefix of the repository names and of the key alias (postech-<stage>)."
  type        = string
}

variable "repository_names" {
  description = "Images of the stage; each becomes the repository <name_prefix>/<name>."
  type        = list(string)
}

variable "image_retention_count" {
  description = "Tagged (sha-*) images kept per repository."
  type        = number
}
