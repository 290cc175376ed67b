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
#   scripts/rotate-signing-key.sh <staging|production> [--if-unset | --emergency]
#
# --emergency (a leaked signing key): the verification secret lists every earlier key id in
# `revoked_kids`, so the app and validate_jwt stop trusting them within 15 s (their key ring's
# re-read bound) and a verifier starting later does not take them back from AWSPREVIOUS. Every
# token issued before is refused: customers and admins log in again. A normal rotation keeps
# the previous key trusted (`previous_keys`) and carries the revocation lists over
# (scripts/verification_document.py).
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
    *) echo "usage: $0 <staging|production> [--if-unset | --emergency]" >&2; exit 2 ;;
esac
case "$mode" in
    "" | --if-unset | --emergency) ;;
    *) echo "usage: $0 <staging|production> [--if-unset | --emergency]" >&2; exit 2 ;;
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
previous_text() { # the AWSPREVIOUS value, or nothing for a secret never rotated
    aws secretsmanager get-secret-value --secret-id "$1" --version-stage AWSPREVIOUS \
        --query SecretString --output text 2>/dev/null || true
}
document_mode=rotate
[ "$mode" = "--emergency" ] && document_mode=emergency
printf '%s' "$key_pair" \
    | CURRENT_DOC="$(secret_text "$verification_id")" PREVIOUS_DOC="$(previous_text "$verification_id")" \
        python3 "$(dirname "$0")/verification_document.py" "$document_mode" \
    | put_secret "$verification_id"
if [ "$document_mode" = emergency ]; then
    echo "rotate-signing-key: $verification_id now trusts kid $kid only; every earlier kid is revoked"
else
    echo "rotate-signing-key: $verification_id now trusts kid $kid"
fi
printf '%s' "$key_pair" | put_secret "$signing_id"
unset key_pair
echo "rotate-signing-key: $signing_id now signs with kid $kid"
