#!/usr/bin/env python3
"""The next value of the verification-key secret (postech/<stage>/jwt-verification-key).

    {"kid", "public_key_pem",                  the key tokens are signed with now
     "previous_keys": [{"kid", "public_key_pem"}],   still trusted (tokens issued before a rotation)
     "revoked_kids": ["kid", ...],             never trusted again (a leaked key)
     "revoked_jtis": [{"jti", "until"}, ...]}  single tokens refused until they would expire

Verifiers (the app, validate_jwt; postech-shared-sdk's VerificationKeyRing) re-read it at least
every 15 s. Used by rotate-signing-key.sh and revoke-token.sh:

    CURRENT_DOC=<current value> PREVIOUS_DOC=<AWSPREVIOUS value or ''> \\
        verification_document.py rotate|emergency    < new key pair JSON (only its public half is kept)
        verification_document.py revoke-jti JTI UNTIL_EPOCH
        verification_document.py revoke-kid KID

Prints the new JSON document. Entries of revoked_jtis past their `until` are dropped.
"""

import json
import os
import sys
import time


def load(name):
    text = os.environ.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def public(key):
    return {"kid": key["kid"], "public_key_pem": key["public_key_pem"]}


def is_key(value):
    return isinstance(value, dict) and "kid" in value and "public_key_pem" in value


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    current = load("CURRENT_DOC")
    previous = load("PREVIOUS_DOC")
    now = int(time.time())
    revoked_kids = list(dict.fromkeys(current.get("revoked_kids", [])))
    revoked_jtis = [entry for entry in current.get("revoked_jtis", []) if int(entry.get("until", 0)) > now]
    # The keys before the current one: those carried in the document, and AWSPREVIOUS (which a
    # revocation write would otherwise push out).
    previous_keys = [public(key) for key in current.get("previous_keys", []) if is_key(key)]
    if is_key(previous) and previous["kid"] != current.get("kid"):
        if all(key["kid"] != previous["kid"] for key in previous_keys):
            previous_keys.append(public(previous))

    if mode in ("rotate", "emergency"):
        new_key = public(json.load(sys.stdin))
        if mode == "emergency":
            revoked_kids += [key["kid"] for key in previous_keys]
            if is_key(current):
                revoked_kids.append(current["kid"])
            previous_keys = []
        elif is_key(current):
            previous_keys = [public(current)] + previous_keys
        document = new_key
    elif mode == "revoke-jti":
        jti, until = argv[2], int(argv[3])
        if not is_key(current):
            sys.exit("verification_document: the secret holds no key yet")
        revoked_jtis.append({"jti": jti, "until": until})
        document = public(current)
    elif mode == "revoke-kid":
        kid = argv[2]
        if not is_key(current):
            sys.exit("verification_document: the secret holds no key yet")
        if kid == current["kid"]:
            sys.exit("verification_document: that is the current key; use rotate-signing-key.sh --emergency")
        revoked_kids.append(kid)
        document = public(current)
    else:
        sys.exit(__doc__)

    revoked_kids = list(dict.fromkeys(kid for kid in revoked_kids if kid != document["kid"]))
    # Two keys before the current one at most, as the verifiers keep (KEPT_KEYS = 3).
    previous_keys = [key for key in previous_keys if key["kid"] not in revoked_kids and key["kid"] != document["kid"]][:2]
    if previous_keys:
        document["previous_keys"] = previous_keys
    if revoked_kids:
        document["revoked_kids"] = revoked_kids
    if revoked_jtis:
        document["revoked_jtis"] = revoked_jtis
    print(json.dumps(document))


if __name__ == "__main__":
    main(sys.argv)
