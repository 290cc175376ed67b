# The stage's e-mail sender: one SES domain identity, signed with Easy DKIM through records in
# the chain's public hosted zone. Cognito sends the customers' step-up codes from it (EMAIL_OTP
# needs SES; postech-lambda-functions' pool reads ses/identity-arn and ses/from-address), and
# postech-app sends the registration codes from it (its role's SendEmail names this identity).
# The domain is `registration_email_domain` (the chain's domain in production, <stage>.<domain>
# elsewhere, so a staging mail never passes for a production one); the app role's SendEmail
# (iam/) names the same identity, and the overlays' REGISTRATION_EMAIL_FROM is an address at it.
locals {
  email_sender_domain  = var.registration_email_domain
  email_sender_address = "no-reply@${local.email_sender_domain}"
}

data "aws_route53_zone" "email" {
  name         = var.dns_zone_name
  private_zone = false
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_sesv2_email_identity" "sender" {
  email_identity = local.email_sender_domain
  tags           = { Name = "postech-${var.stage}-sender" }
}

resource "aws_route53_record" "sender_dkim" {
  count = 3

  zone_id = data.aws_route53_zone.email.zone_id
  name    = "${aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens[count.index]}._domainkey.${local.email_sender_domain}"
  type    = "CNAME"
  ttl     = 600
  records = ["${aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens[count.index]}.dkim.amazonses.com"]
}

# Cognito (EmailSendingAccount DEVELOPER) sends as this account's user pools only.
resource "aws_sesv2_email_identity_policy" "cognito_sends" {
  email_identity = aws_sesv2_email_identity.sender.email_identity
  policy_name    = "postech-${var.stage}-cognito-sends"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CognitoSendsStepUpCodes"
      Effect    = "Allow"
      Principal = { Service = "email.cognito-idp.amazonaws.com" }
      Action    = ["ses:SendEmail", "ses:SendRawEmail"]
      Resource  = aws_sesv2_email_identity.sender.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:cognito-idp:${var.aws_region}:${data.aws_caller_identity.current.account_id}:userpool/*" }
      }
    }]
  })
}
