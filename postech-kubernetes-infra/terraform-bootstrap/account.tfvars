aws_region   = "us-east-1"
github_owner = "postech"
stages       = ["staging", "production"]
