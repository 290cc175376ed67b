# One repository per image of the stage: the app and the migrator (the migration Job).
# Tags are commit SHAs (sha-<7+ hex>) and immutable, so a tag always names the same image;
# every push is scanned; images are encrypted with our key.
resource "aws_ecr_repository" "this" {
  for_each = toset(var.repository_names)

  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.images.arn
  }
}

# Untagged layers go after a day; of the tagged images only the newest
# image_retention_count stay (enough to roll back well past the last release).
resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after one day"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.image_retention_count} commit images"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["sha-"]
          countType     = "imageCountMoreThan"
          countNumber   = var.image_retention_count
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Images are encrypted at rest with this key, rotated yearly. ECR uses it through grants it
# creates for itself; pulling nodes need no KMS permission.
resource "aws_kms_key" "images" {
  #checkov:skip=CKV2_AWS_64:The default key policy (account root administers and uses the key through IAM) is what ECR's grants need; there is no service principal to add.
  description             = "postech ${var.name_prefix}: ECR images"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "images" {
  name          = "alias/${var.name_prefix}-ecr"
  target_key_id = aws_kms_key.images.key_id
}
