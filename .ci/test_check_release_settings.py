#!/usr/bin/env python3
"""check_release_settings.py against broken inputs: a valid two-repository fixture passes, and
each test breaks one thing and expects the checker to fail naming it. Closing line:
"release settings checker: N passed, M failed" (tests).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_release_settings  # noqa: E402

PIN = "11bd71901bbe5b1630ceea73d27597364c9af683"

CI = f"""\
name: ci
on:
  pull_request:
    branches: [develop, staging, main]
  push:
    branches: [develop, staging, main]
permissions:
  contents: read
concurrency:
  group: ci-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@{PIN} # v4.2.2
  plan:
    name: terraform plan (${{{{ matrix.stage }}}})
    if: github.event_name == 'pull_request'
    strategy:
      matrix:
        stage: [staging]
    runs-on: ubuntu-24.04
    steps:
      - run: "true"
  deploy:
    if: github.event_name == 'push' && github.ref_name != 'develop'
    needs: [test]
    uses: ./.github/workflows/deploy.yml
    with:
      stage: ${{{{ github.ref_name == 'main' && 'production' || 'staging' }}}}
    permissions:
      contents: read
"""

DEPLOY = f"""\
name: deploy
on:
  workflow_call:
    inputs:
      stage:
        type: string
        required: true
permissions: {{}}
jobs:
  apply:
    runs-on: ubuntu-24.04
    environment: ${{{{ inputs.stage }}}}
    concurrency:
      group: deploy-${{{{ inputs.stage }}}}
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@{PIN} # v4.2.2
"""

LIBRARY_CI = f"""\
name: ci
on:
  pull_request:
    branches: [develop, staging, main]
  push:
    branches: [develop, staging, main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@{PIN} # v4.2.2
"""


def ruleset(branch: str, checks: list[str], deployed: bool) -> dict:
    rules = [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        {"type": "required_linear_history"},
        {"type": "pull_request", "parameters": {"required_approving_review_count": 1, "require_code_owner_review": True, "dismiss_stale_reviews_on_push": True}},
        {"type": "required_status_checks", "parameters": {
            "strict_required_status_checks_policy": True,
            "required_status_checks": [{"context": check, "integration_id": 15368} for check in checks],
        }},
    ]
    if branch == "main" and deployed:
        rules.append({"type": "required_deployments", "parameters": {"required_deployment_environments": ["staging"]}})
    return {"name": branch, "target": "branch", "enforcement": "active", "bypass_actors": [],
            "conditions": {"ref_name": {"include": [f"refs/heads/{branch}"], "exclude": []}}, "rules": rules}


def write_repository(root: Path, name: str, deployed: bool) -> Path:
    repository = root / name
    github = repository / ".github"
    (github / "workflows").mkdir(parents=True)
    (github / "rulesets").mkdir()
    (github / "scripts").mkdir()
    (github / "workflows" / "ci.yml").write_text(CI if deployed else LIBRARY_CI)
    if deployed:
        (github / "workflows" / "deploy.yml").write_text(DEPLOY)
        (github / "environments").mkdir()
        (github / "environments" / "staging.json").write_text(json.dumps(
            {"name": "staging", "reviewers": [], "prevent_self_review": False, "deployment_branches": ["staging"]}))
        (github / "environments" / "production.json").write_text(json.dumps(
            {"name": "production", "reviewers": [{"type": "Team", "slug": "release-managers"}], "prevent_self_review": True, "deployment_branches": ["main"]}))
    for branch in ("develop", "staging", "main"):
        checks = ["test"] + (["terraform plan (staging)"] if deployed and branch != "develop" else [])
        (github / "rulesets" / f"{branch}.json").write_text(json.dumps(ruleset(branch, checks, deployed)))
    (github / "rulesets" / "release-tags.json").write_text(json.dumps({
        "name": "release tags", "target": "tag", "enforcement": "active", "bypass_actors": [],
        "conditions": {"ref_name": {"include": [f"refs/tags/{name}-v*"], "exclude": []}},
        "rules": [{"type": "deletion"}, {"type": "update"}, {"type": "non_fast_forward"}]}))
    (github / "CODEOWNERS").write_text("* @postech/team\n/.github/ @postech/release-managers\n")
    (github / "release.conf").write_text(f"RELEASE_TAG_PREFIX={name}-v\nVERSION_SOURCE=commits\n")
    (github / "scripts" / "promote.sh").write_text("#!/usr/bin/env bash\necho promote\n")
    return repository


class ReleaseSettingsChecker(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="release-settings-"))
        self.app = write_repository(self.root, "postech-demo", deployed=True)
        self.library = write_repository(self.root, "postech-library", deployed=False)

    def tearDown(self) -> None:
        shutil.rmtree(self.root)

    def run_checker(self) -> tuple[int, str]:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            status = check_release_settings.main(self.root)
        return status, output.getvalue()

    def assert_fails_with(self, fragment: str) -> None:
        status, output = self.run_checker()
        self.assertEqual(status, 1, output)
        failures = [line for line in output.splitlines() if line.startswith("FAILED")]
        self.assertTrue(any(fragment in line for line in failures), f"no failure mentions {fragment!r}:\n{output}")

    def edit(self, relative: str, old: str, new: str, repository: Path | None = None) -> None:
        path = (repository or self.app) / relative
        text = path.read_text()
        self.assertIn(old, text)
        path.write_text(text.replace(old, new))

    def edit_ruleset(self, branch: str, change) -> None:
        path = self.app / ".github" / "rulesets" / f"{branch}.json"
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    def rule(self, document: dict, kind: str) -> dict:
        return next(rule for rule in document["rules"] if rule["type"] == kind)

    def test_valid_fixture_passes(self) -> None:
        status, output = self.run_checker()
        self.assertEqual(status, 0, output)
        self.assertRegex(output, r"release settings: \d+ passed, 0 failed")

    def test_missing_branch_ruleset_fails(self) -> None:
        (self.app / ".github" / "rulesets" / "staging.json").unlink()
        self.assert_fails_with("rulesets/staging.json is missing")

    def test_required_check_that_is_no_job_fails(self) -> None:
        self.edit_ruleset("main", lambda d: self.rule(d, "required_status_checks")["parameters"]["required_status_checks"].append({"context": "tests"}))
        self.assert_fails_with("required check 'tests' names no job")

    def test_required_check_of_a_push_only_job_fails(self) -> None:
        self.edit(".github/workflows/ci.yml", "  test:\n    runs-on", "  test:\n    if: github.event_name == 'push'\n    runs-on")
        self.assert_fails_with("required check 'test' names no job")

    def test_no_approving_review_fails(self) -> None:
        self.edit_ruleset("develop", lambda d: self.rule(d, "pull_request")["parameters"].update(required_approving_review_count=0))
        self.assert_fails_with("needs no approving review")

    def test_no_code_owner_review_fails(self) -> None:
        self.edit_ruleset("main", lambda d: self.rule(d, "pull_request")["parameters"].update(require_code_owner_review=False))
        self.assert_fails_with("code owners' review")

    def test_stale_approvals_kept_fails(self) -> None:
        self.edit_ruleset("staging", lambda d: self.rule(d, "pull_request")["parameters"].update(dismiss_stale_reviews_on_push=False))
        self.assert_fails_with("dismiss_stale_reviews_on_push")

    def test_missing_linear_history_fails(self) -> None:
        self.edit_ruleset("main", lambda d: d.update(rules=[r for r in d["rules"] if r["type"] != "required_linear_history"]))
        self.assert_fails_with("no required_linear_history rule")

    def test_force_push_allowed_fails(self) -> None:
        self.edit_ruleset("develop", lambda d: d.update(rules=[r for r in d["rules"] if r["type"] != "non_fast_forward"]))
        self.assert_fails_with("no non_fast_forward rule")

    def test_deletion_allowed_fails(self) -> None:
        self.edit_ruleset("staging", lambda d: d.update(rules=[r for r in d["rules"] if r["type"] != "deletion"]))
        self.assert_fails_with("no deletion rule")

    def test_bypass_actor_fails(self) -> None:
        self.edit_ruleset("main", lambda d: d.update(bypass_actors=[{"actor_type": "RepositoryRole", "actor_id": 5}]))
        self.assert_fails_with("has bypass actors")

    def test_ruleset_on_another_branch_fails(self) -> None:
        self.edit_ruleset("main", lambda d: d["conditions"]["ref_name"].update(include=["~DEFAULT_BRANCH"]))
        self.assert_fails_with("not exactly refs/heads/main")

    def test_production_without_staging_deployment_fails(self) -> None:
        self.edit_ruleset("main", lambda d: d.update(rules=[r for r in d["rules"] if r["type"] != "required_deployments"]))
        self.assert_fails_with("successful staging deployment")

    def test_deploy_without_needs_fails(self) -> None:
        self.edit(".github/workflows/ci.yml", "    needs: [test]\n", "")
        self.assert_fails_with("without waiting for CI")

    def test_deploy_needing_only_a_pull_request_job_fails(self) -> None:
        self.edit(".github/workflows/ci.yml", "    needs: [test]\n", "    needs: [plan]\n")
        self.assert_fails_with("without waiting for CI")

    def test_deploy_started_by_push_fails(self) -> None:
        self.edit(".github/workflows/deploy.yml", "on:\n  workflow_call:\n", "on:\n  push:\n    branches: [main]\n  workflow_call:\n")
        self.assert_fails_with("deploy jobs in a workflow started by ['push']")

    def test_cancelling_ci_that_deploys_fails(self) -> None:
        self.edit(".github/workflows/ci.yml", "cancel-in-progress: ${{ github.event_name == 'pull_request' }}", "cancel-in-progress: true")
        self.assert_fails_with("cancels the running one")

    def test_deploy_without_stage_concurrency_fails(self) -> None:
        self.edit(".github/workflows/deploy.yml", "      group: deploy-${{ inputs.stage }}\n", "      group: deploy\n")
        self.assert_fails_with("no concurrency group of its stage")

    def test_cancellable_deploy_fails(self) -> None:
        self.edit(".github/workflows/deploy.yml", "cancel-in-progress: false", "cancel-in-progress: true")
        self.assert_fails_with("may be cancelled in the middle of a deploy")

    def test_unpinned_action_fails(self) -> None:
        self.edit(".github/workflows/deploy.yml", f"actions/checkout@{PIN}", "actions/checkout@v4")
        self.assert_fails_with("not pinned to a full commit SHA")

    def test_missing_top_level_permissions_fails(self) -> None:
        self.edit(".github/workflows/deploy.yml", "permissions: {}\n", "")
        self.assert_fails_with("no top-level permissions")

    def test_production_without_reviewer_fails(self) -> None:
        path = self.app / ".github" / "environments" / "production.json"
        document = json.loads(path.read_text())
        document["reviewers"] = []
        path.write_text(json.dumps(document))
        self.assert_fails_with("production has no required reviewer")

    def test_production_deployable_from_any_branch_fails(self) -> None:
        path = self.app / ".github" / "environments" / "production.json"
        document = json.loads(path.read_text())
        document["deployment_branches"] = ["main", "develop"]
        path.write_text(json.dumps(document))
        self.assert_fails_with("not only from main")

    def test_undeclared_environment_fails(self) -> None:
        (self.app / ".github" / "environments" / "staging.json").unlink()
        self.assert_fails_with("environments/staging.json is missing")

    def test_missing_codeowners_fails(self) -> None:
        (self.library / ".github" / "CODEOWNERS").unlink()
        self.assert_fails_with("CODEOWNERS is missing")

    def test_wrong_tag_prefix_fails(self) -> None:
        self.edit(".github/release.conf", "RELEASE_TAG_PREFIX=postech-demo-v", "RELEASE_TAG_PREFIX=v")
        self.assert_fails_with("RELEASE_TAG_PREFIX is 'v'")

    def test_diverging_shared_script_fails(self) -> None:
        (self.library / ".github" / "scripts" / "promote.sh").write_text("#!/usr/bin/env bash\necho changed\n")
        self.assert_fails_with(".github/scripts/promote.sh differs between the repositories")


def main() -> int:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(ReleaseSettingsChecker)
    result = unittest.TextTestRunner(stream=sys.stderr, verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"release settings checker: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
