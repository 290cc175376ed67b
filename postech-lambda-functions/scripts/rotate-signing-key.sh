#!/usr/bin/env bash
# Writes a new Ed25519 key to the stage's two key secrets:
#   1. postech/<stage>/jwt-verification-key  {"kid", "public_key_pem"}     (validate_jwt, postech-app)
#   2. postech/<stage>/jwt-signing-key       {"kid", "private_key_pem", "public_key_pem"} (authenticate)
# In that order: verifiers can learn the new kid before any token carries it. Running functions
# and the app pick it up without a redeploy: `authenticate` signs with it within
# JWT_KEY_REFRESH_SECONDS (60 s); verifiers trust it on the first token that names it and keep
# trusting the previous keys (the secret's AWSPREVIOUS version after a cold start), so tokens
# issued before the rotation stay valid until they expire.
#
#   scripts/rotate-signing-key.sh <staging|production> [--if-unset]
#
# --if-unset rotates nothing that is already set up: it writes a key only while the signing
# secret still holds the placeholder CloudFormation created (first deploy), and publishes the
# signing key's public half to the verification secret when that one does not name the signing
# key's kid yet (a stage deployed before the verification secret existed, or a rotation cut
# short between the two writes). The deploy workflow runs it that way after every deploy.
# Needs: aws CLI (credentials for the stage's account), openssl 1.1.1+, python3.
# The private key never touches the disk or a command line: it goes through pipes (printf is
# a builtin; no here-strings, which older bash versions back with temporary files) and the
# environment of the one python3 process that formats it.
set -euo pipefail

stage="${1:-}"
mode="${2:-}"
case "$stage" in
    staging | production) ;;
    *) echo "usage: $0 <staging|production> [--if-unset]" >&2; exit 2 ;;
esac
case "$mode" in
    "" | --if-unset) ;;
    *) echo "usage: $0 <staging|production> [--if-unset]" >&2; exit 2 ;;
esac
signing_id="postech/$stage/jwt-signing-key"
verification_id="postech/$stage/jwt-verification-key"

secret_text() {
    aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text
}

put_secret() { # secret id; the value comes on stdin
    aws secretsmanager put-secret-value --secret-id "$1" \
        --secret-string file:///dev/stdin --query VersionId --output text >/dev/null
}

# The kid of a key secret's JSON on stdin, or nothing for a placeholder without key material.
key_id() {
    python3 -c 'import json, sys
value = json.load(sys.stdin)
print(value["kid"] if "public_key_pem" in value else "")'
}

# {"kid", "public_key_pem"} of the key secret's JSON on stdin: the private key stays behind.
public_half() {
    python3 -c 'import json, sys
value = json.load(sys.stdin)
print(json.dumps({"kid": value["kid"], "public_key_pem": value["public_key_pem"]}))'
}

if [ "$mode" = "--if-unset" ]; then
    signing="$(secret_text "$signing_id")"
    signing_kid="$(printf '%s' "$signing" | key_id)"
    if [ -n "$signing_kid" ]; then
        verification_kid="$(secret_text "$verification_id" | key_id)"
        if [ "$verification_kid" = "$signing_kid" ]; then
            unset signing
            echo "rotate-signing-key: $signing_id and $verification_id already hold kid $signing_kid; nothing to do"
            exit 0
        fi
        printf '%s' "$signing" | public_half | put_secret "$verification_id"
        unset signing
        echo "rotate-signing-key: $verification_id now publishes kid $signing_kid (the signing key was not rotated)"
        exit 0
    fi
    unset signing
fi

# The time says when; the random suffix keeps two rotations within one second apart (a
# verifier keeps the first key it saw for a kid).
kid="$stage-$(date -u +%Y%m%dT%H%M%SZ)-$(openssl rand -hex 3)"
private_pem="$(openssl genpkey -algorithm ed25519)"
public_pem="$(printf '%s\n' "$private_pem" | openssl pkey -pubout)"
key_pair="$(KID="$kid" PRIVATE_PEM="$private_pem" PUBLIC_PEM="$public_pem" python3 -c '
import json, os
print(json.dumps({
    "kid": os.environ["KID"],
    "private_key_pem": os.environ["PRIVATE_PEM"] + "\n",
    "public_key_pem": os.environ["PUBLIC_PEM"] + "\n",
}))')"
unset private_pem
printf '%s' "$key_pair" | public_half | put_secret "$verification_id"
echo "rotate-signing-key: $verification_id now trusts kid $kid"
printf '%s' "$key_pair" | put_secret "$signing_id"
unset key_pair
echo "rotate-signing-key: $signing_id now signs with kid $kid"
