#!/usr/bin/env bash
# The Terraform plan a reviewer sees is the plan that is applied. The same file in both
# Terraform repositories (.ci/check_release_settings.py keeps the copies identical).
#
#   .github/scripts/reviewed-plan.sh plan <stage> <repository> <pull request number> [-- terraform plan args]
#   .github/scripts/reviewed-plan.sh apply <stage> <repository>
#
# plan (pull requests, read-only plan role): plans the stage, writes plan-<stage>.txt (the
# workflow keeps it as an artifact), stores the binary plan as
# s3://$TF_STATE_BUCKET/plans/<repository>/<stage>/<tree>.tfplan, keyed by the git tree of the
# checked-out head (promotion fast-forwards, so the commit that lands has that tree), and posts
# or updates one comment per stage on the pull request with the plan.
# apply (deploy, GitHub Environment): fetches the saved plan of the tree being deployed and
# applies exactly it; stops when there is none, and Terraform itself refuses a plan whose state
# changed since (re-plan, re-review, re-deploy).
#
# Runs in the Terraform root (terraform/) after `terraform init`. Needs terraform, aws, git and,
# for plan, gh with GH_TOKEN (pull-requests: write) and GITHUB_REPOSITORY.
set -euo pipefail

usage="usage: reviewed-plan.sh plan <stage> <repository> <pull request> [-- args] | apply <stage> <repository>"
action=${1:?$usage} stage=${2:?$usage} repository=${3:?$usage}
shift 3
case "$stage" in staging | production) ;; *) echo "$usage" >&2; exit 2 ;; esac
bucket=${TF_STATE_BUCKET:?TF_STATE_BUCKET names the state bucket (GitHub variable)}
tree=$(git rev-parse 'HEAD^{tree}')
commit=$(git rev-parse HEAD)
key="plans/$repository/$stage/$tree.tfplan"

case "$action" in
  plan)
    pr=${1:?$usage}
    shift
    [ "${1:-}" = "--" ] && shift
    # -lock=false: a plan never blocks a running deploy (its apply would refuse the plan if the
    # deploy changed the state in between).
    terraform plan -lock=false -input=false -var-file="$stage.tfvars" "$@" -out=tfplan
    terraform show -no-color tfplan > "plan-$stage.txt"
    aws s3 cp --only-show-errors tfplan "s3://$bucket/$key" --metadata "commit=$commit,pull-request=$pr"
    summary=$(grep -E '^(Plan:|No changes\.)' "plan-$stage.txt" | head -n1 || true)
    marker="<!-- reviewed-plan:$repository:$stage -->"
    body=$(mktemp)
    {
      echo "$marker"
      echo "### terraform plan: \`$stage\`"
      echo
      echo "${summary:-See the plan below.} Commit \`${commit:0:12}\`, tree \`${tree:0:12}\`."
      echo
      echo "The deploy of this tree to \`$stage\` applies exactly this plan (saved as \`s3://…/$key\`), or stops if the state moved since."
      echo
      echo "<details><summary>Plan</summary>"
      echo
      echo '```'
      head -c 60000 "plan-$stage.txt"
      [ "$(wc -c < "plan-$stage.txt")" -le 60000 ] || printf '\n… (truncated: the whole plan is the workflow artifact terraform-plan-%s-%s)' "$stage" "$commit"
      echo
      echo '```'
      echo "</details>"
    } > "$body"
    existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$pr/comments" --paginate \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | tail -n1)
    if [ -n "$existing" ]; then
      gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
    else
      gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$body" >/dev/null
    fi
    rm -f "$body"
    echo "reviewed-plan: $stage plan of tree ${tree:0:12} saved and posted on #$pr"
    ;;
  apply)
    [ $# -eq 0 ] || { echo "$usage" >&2; exit 2; }
    if ! aws s3 cp --only-show-errors "s3://$bucket/$key" tfplan; then
      echo "reviewed-plan: no reviewed plan of $stage for tree ${tree:0:12} (commit ${commit:0:12}) at s3://$bucket/$key." >&2
      echo "The pull request that brought this commit plans it: re-run its 'terraform plan' job, review the plan, then re-run this deploy." >&2
      exit 1
    fi
    echo "reviewed-plan: applying the plan reviewed for tree ${tree:0:12}:"
    terraform show -no-color tfplan
    if ! terraform apply -lock-timeout=10m -input=false tfplan; then
      echo "reviewed-plan: the apply stopped. If Terraform says the saved plan is stale, the state changed after the review:" >&2
      echo "re-run the pull request's 'terraform plan' job, review the new plan, then re-run this deploy." >&2
      exit 1
    fi
    rm -f tfplan  # applied; it holds the plan's values and must not travel further (bundles)
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
