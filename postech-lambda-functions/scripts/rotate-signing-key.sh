#!/usr/bin/env bash
# Writes a new Ed25519 signing key to postech/<stage>/jwt-signing-key as
# {"kid", "private_key_pem", "public_key_pem"}. Running functions pick it up without a
# redeploy: `authenticate` signs with it within JWT_KEY_REFRESH_SECONDS (60 s), `validate_jwt`
# trusts it on the first token that names it and keeps trusting the previous keys, so tokens
# issued before the rotation stay valid until they expire.
#
#   scripts/rotate-signing-key.sh <staging|production> [--if-unset]
#
# --if-unset writes a key only while the secret still holds the placeholder CloudFormation
# created (first deploy); the deploy workflow runs it that way after every deploy.
# Needs: aws CLI (credentials for the stage's account), openssl 1.1.1+, python3.
# The private key never touches the disk or a command line: it goes through pipes only.
set -euo pipefail

stage="${1:-}"
mode="${2:-}"
case "$stage" in
    staging | production) ;;
    *) echo "usage: $0 <staging|production> [--if-unset]" >&2; exit 2 ;;
esac
secret_id="postech/$stage/jwt-signing-key"

if [ "$mode" = "--if-unset" ]; then
    current="$(aws secretsmanager get-secret-value --secret-id "$secret_id" \
        --query SecretString --output text)"
    if CURRENT="$current" python3 -c 'import json, os, sys; sys.exit(0 if "public_key_pem" in json.loads(os.environ["CURRENT"]) else 1)'; then
        echo "rotate-signing-key: $secret_id already holds a key; nothing to do"
        exit 0
    fi
    unset current
fi

kid="$stage-$(date -u +%Y%m%dT%H%M%SZ)"
private_pem="$(openssl genpkey -algorithm ed25519)"
public_pem="$(printf '%s\n' "$private_pem" | openssl pkey -pubout)"
KID="$kid" PRIVATE_PEM="$private_pem" PUBLIC_PEM="$public_pem" python3 -c '
import json, os
print(json.dumps({
    "kid": os.environ["KID"],
    "private_key_pem": os.environ["PRIVATE_PEM"] + "\n",
    "public_key_pem": os.environ["PUBLIC_PEM"] + "\n",
}))' | aws secretsmanager put-secret-value --secret-id "$secret_id" \
    --secret-string file:///dev/stdin --query VersionId --output text >/dev/null
unset private_pem
echo "rotate-signing-key: $secret_id now signs with kid $kid"
