#!/usr/bin/env bash
# Revokes one token, or a key id that is no longer the current one, for every verifier of the
# stage (postech-app and validate_jwt re-read the verification secret at least every 15 s):
#
#   scripts/revoke-token.sh <staging|production> --jti <jti> [--until <unix time>]
#   scripts/revoke-token.sh <staging|production> --kid <kid>
#
# The `jti` of a token is in its audit trail (the app and the authorizer log it on refusal;
# the token's payload holds it). --until defaults to now + 2 h, the longest token lifetime
# (admin); the entry is dropped from the secret by the first write after that. A leaked
# *current* signing key is not revoked here: run rotate-signing-key.sh --emergency.
# To end a customer's or an admin's access for good, also disable the user in Cognito
# (admin-disable-user): no new token is issued, and verifiers refuse an admin whose user is
# disabled within their cache bound (README.md, "Revocation").
# Needs: aws CLI (credentials for the stage's account), python3.
set -euo pipefail

stage="${1:-}"
what="${2:-}"
value="${3:-}"
usage() { echo "usage: $0 <staging|production> --jti <jti> [--until <unix time>] | --kid <kid>" >&2; exit 2; }
case "$stage" in staging | production) ;; *) usage ;; esac
[ -n "$value" ] || usage
verification_id="postech/$stage/jwt-verification-key"

current="$(aws secretsmanager get-secret-value --secret-id "$verification_id" --query SecretString --output text)"
previous="$(aws secretsmanager get-secret-value --secret-id "$verification_id" --version-stage AWSPREVIOUS \
    --query SecretString --output text 2>/dev/null || true)"
case "$what" in
    --jti)
        until_time="$(( $(date +%s) + 7200 ))"
        if [ "${4:-}" = "--until" ] && [ -n "${5:-}" ]; then until_time="$5"; fi
        document="$(CURRENT_DOC="$current" PREVIOUS_DOC="$previous" \
            python3 "$(dirname "$0")/verification_document.py" revoke-jti "$value" "$until_time")"
        ;;
    --kid)
        document="$(CURRENT_DOC="$current" PREVIOUS_DOC="$previous" \
            python3 "$(dirname "$0")/verification_document.py" revoke-kid "$value")"
        ;;
    *) usage ;;
esac
printf '%s' "$document" | aws secretsmanager put-secret-value --secret-id "$verification_id" \
    --secret-string file:///dev/stdin --query VersionId --output text >/dev/null
echo "revoke-token: $verification_id now revokes ${what#--} $value"
