#!/usr/bin/env bash
# Build once, promote by digest. The app and migrator images are keyed by the source tree they
# are built from (`tree-<git tree hash>`, plus the usual `sha-<commit>` tag): promotion
# fast-forwards branches, so develop, staging and main hold the very same commit and tree, and
# even a pull request merged by GitHub's rebase button lands the same tree.
#
#   .github/scripts/release-image.sh build     develop/staging: reuse the staging repositories'
#                                              images of this tree, or build and push them (the
#                                              workflow attests what it built)
#   .github/scripts/release-image.sh promote   main: find the images staging holds for this
#                                              tree, verify their provenance attestation, copy
#                                              them by digest to the production repositories
#
# Runs from the workspace holding postech-app (and the siblings its Dockerfile needs). Prints
# app_digest=, migrator_digest=, built=true|false (and appends them to $GITHUB_OUTPUT when set).
# Needs aws, docker (build), skopeo and gh (promote), credentials of the image role of the
# mode (ci-app-images-staging / -production), and GH_TOKEN for the attestation check.
set -euo pipefail

mode=${1:?usage: release-image.sh build|promote}
case "$mode" in build | promote) ;; *) echo "usage: release-image.sh build|promote" >&2; exit 2 ;; esac
images=(postech-app postech-migrator)
declare -A target=([postech-app]=runtime [postech-migrator]=migrator)

commit=$(git -C postech-app rev-parse HEAD)
tree=$(git -C postech-app rev-parse 'HEAD^{tree}')
region=${AWS_REGION:-us-east-1}

repository_url() { # stage image
  aws ssm get-parameter --region "$region" --name "/postech/$1/ecr/$2-repository" --query Parameter.Value --output text
}
# Digest of the image tagged $2 in repository URL $1, or nothing.
digest_of() {
  aws ecr describe-images --region "$region" --repository-name "${1#*/}" --image-ids "imageTag=$2" \
    --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true
}
# Adds tag $3 to digest $2 in repository URL $1 (no-op when it is there already).
add_tag() {
  local manifest media
  manifest=$(aws ecr batch-get-image --region "$region" --repository-name "${1#*/}" --image-ids "imageDigest=$2" \
    --query 'images[0].imageManifest' --output text)
  media=$(aws ecr batch-get-image --region "$region" --repository-name "${1#*/}" --image-ids "imageDigest=$2" \
    --query 'images[0].imageManifestMediaType' --output text)
  aws ecr put-image --region "$region" --repository-name "${1#*/}" --image-tag "$3" --image-manifest "$manifest" \
    --image-manifest-media-type "$media" >/dev/null 2>&1 || [ "$(digest_of "$1" "$3")" = "$2" ] \
    || { echo "release-image: could not tag $1@$2 as $3" >&2; exit 1; }
}
output() {
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi
}

declare -A digest=()
built=false
if [ "$mode" = build ]; then
  for image in "${images[@]}"; do
    url=$(repository_url staging "$image")
    digest[$image]=$(digest_of "$url" "tree-$tree")
  done
  if [[ ${digest[postech-app]} == sha256:* && ${digest[postech-migrator]} == sha256:* ]]; then
    echo "release-image: tree $tree is built already: reusing its images"
  else
    for image in "${images[@]}"; do
      url=$(repository_url staging "$image")
      docker build -f postech-app/Dockerfile --target "${target[$image]}" \
        --label "org.opencontainers.image.revision=$commit" -t "$url:tree-$tree" .
      docker push --quiet "$url:tree-$tree"
      digest[$image]=$(docker inspect --format '{{index .RepoDigests 0}}' "$url:tree-$tree")
      digest[$image]=${digest[$image]##*@}
    done
    built=true
  fi
  for image in "${images[@]}"; do add_tag "$(repository_url staging "$image")" "${digest[$image]}" "sha-$commit"; done
else
  registry=""
  for image in "${images[@]}"; do
    from=$(repository_url staging "$image")
    to=$(repository_url production "$image")
    digest[$image]=$(digest_of "$from" "tree-$tree")
    [[ ${digest[$image]} == sha256:* ]] || {
      echo "release-image: staging holds no $image image for tree $tree (commit $commit): production deploys only what staging ran; promote through staging first" >&2
      exit 1
    }
    # Built by this repository's workflow from this source: the provenance says so.
    gh attestation verify "oci://$from@${digest[$image]}" --repo "${GITHUB_REPOSITORY:?}" >/dev/null \
      || { echo "release-image: $from@${digest[$image]} has no valid provenance attestation from ${GITHUB_REPOSITORY}" >&2; exit 1; }
    if [ "$(digest_of "$to" "tree-$tree")" != "${digest[$image]}" ]; then
      if [ -z "$registry" ]; then
        registry=${to%%/*}
        aws ecr get-login-password --region "$region" | skopeo login --username AWS --password-stdin "$registry" >/dev/null
        [ "${from%%/*}" = "$registry" ] \
          || aws ecr get-login-password --region "$region" | skopeo login --username AWS --password-stdin "${from%%/*}" >/dev/null
      fi
      # --preserve-digests: the copy fails rather than change a byte of what staging ran.
      skopeo copy --all --preserve-digests "docker://$from@${digest[$image]}" "docker://$to:tree-$tree"
    fi
    copied=$(digest_of "$to" "tree-$tree")
    [ "$copied" = "${digest[$image]}" ] \
      || { echo "release-image: $to:tree-$tree is $copied, not staging's ${digest[$image]}" >&2; exit 1; }
    add_tag "$to" "${digest[$image]}" "sha-$commit"
  done
fi

output app_digest "${digest[postech-app]}"
output migrator_digest "${digest[postech-migrator]}"
output built "$built"
output tree "$tree"
