#!/usr/bin/env python3
"""The release flow of every repository, checked offline (the root test command runs this).

For each repository (a folder postech-*/ with a .github/ folder) under the root:

Rulesets (.github/rulesets/<branch>.json for develop, staging and main): a branch ruleset,
active, no bypass actor, on exactly refs/heads/<branch>; rules deletion, non_fast_forward,
required_linear_history, pull_request (at least one approval, code owners' review, stale
approvals dismissed) and required_status_checks, whose every context is a job of this
repository's own workflows that runs on pull requests into that branch, named as GitHub names
its check run (the job's name or id, "name (matrix values)", "caller / callee" for a reusable
workflow); GitHub Actions as the check's source when one is named; staging and main require
branches to be up to date (the saved plans and images are keyed by the tree that lands); on a
deployed repository, main requires a successful staging deployment. release-tags.json protects
the repository's release tags from deletion and update.

Environments (.github/environments/<name>.json) of a repository whose workflows deploy (a job
with `environment:`): staging and production declared, production with a reviewer and no
self-review, each deployable from its own branch only (staging: staging, production: main),
and every environment a job can name declared.

Workflows: top-level permissions; every action pinned to a full commit SHA (local reusable
workflows aside); deploy jobs (with `environment:`) only in workflows that cannot start on their
own: workflow_call (each caller waits for a CI job the rulesets require, through `needs`, and its
workflow never cancels a run in progress unconditionally) or, for rollback.yml only,
workflow_dispatch (a rollback redeploys releases that passed CI when they were built); each
deploy job in a concurrency group of its stage that is never cancelled.

CODEOWNERS: a default owner and an owner for /.github/.
release.conf: the tag prefix <repository>-v, matching the tag ruleset, and a version source.
Shared files (.github/scripts/*.sh, .github/executor/install-tools.sh, promote.yml,
bump-sdk.yml) are identical wherever they exist: each repository carries its own copy.

Prints one line per failure and a closing "release settings: N passed, M failed" (checks).
Usage: check_release_settings.py [ROOT]   (default: the checkout holding this file)
Needs PyYAML (.ci/requirements.txt).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

import yaml

BRANCHES = ("develop", "staging", "main")
STAGE_BRANCH = {"staging": "staging", "production": "main"}
GITHUB_ACTIONS_APP_ID = 15368
PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
QUOTED = re.compile(r"'([^']*)'")
SHARED_FILES = (".github/workflows/promote.yml", ".github/workflows/bump-sdk.yml", ".github/executor/install-tools.sh")


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []

    def check(self, ok: bool, message: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
        return ok


def triggers(workflow: dict) -> dict:
    """The `on:` of a workflow as a dict (PyYAML reads the key `on` as True)."""
    on = workflow.get("on", workflow.get(True, {}))
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    return {event: (spec or {}) for event, spec in (on or {}).items()}


def as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def matrix_combinations(job: dict) -> list[dict] | None:
    """The matrix's combinations when its values are written out; None when they are computed."""
    matrix = (job.get("strategy") or {}).get("matrix")
    if not matrix:
        return [{}]
    if not isinstance(matrix, dict):
        return None
    axes = {key: value for key, value in matrix.items() if key not in ("include", "exclude")}
    if any(not isinstance(value, list) for value in axes.values()):
        return None
    combinations = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    combinations += [dict(extra) for extra in matrix.get("include", []) or [] if isinstance(extra, dict)]
    return combinations


def check_run_names(job_id: str, job: dict) -> list[str]:
    """The names GitHub gives the check runs of a job (not of a reusable-workflow call)."""
    combinations = matrix_combinations(job)
    if combinations is None:
        return []
    name = job.get("name")
    names = []
    for combination in combinations:
        if name is None:
            suffix = f" ({', '.join(str(value) for value in combination.values())})" if combination else ""
            names.append(f"{job_id}{suffix}")
            continue
        rendered, known = str(name), True
        for expression in EXPRESSION.findall(str(name)):
            key = expression.removeprefix("matrix.")
            if expression.startswith("matrix.") and key in combination:
                rendered = rendered.replace("${{ " + expression + " }}", str(combination[key]))
            else:
                known = False
        if known:
            names.append(rendered)
    return sorted(set(names))


def excludes_pull_requests(condition: object) -> bool:
    text = str(condition or "").replace('"', "'")
    return "github.event_name == 'push'" in text or "github.event_name != 'pull_request'" in text


def excludes_pushes(condition: object) -> bool:
    text = str(condition or "").replace('"', "'")
    return "github.event_name == 'pull_request'" in text or "github.event_name != 'push'" in text


def runs_on_pull_requests_into(workflow: dict, branch: str) -> bool:
    pull_request = triggers(workflow).get("pull_request")
    if pull_request is None:
        return False
    branches = as_list(pull_request.get("branches"))
    ignored = as_list(pull_request.get("branches-ignore"))
    return (not branches or branch in branches) and branch not in ignored


def literals(value: object) -> set[str]:
    """The string values an expression can take: its quoted literals, or the plain value."""
    text = str(value)
    found = set()
    for expression in EXPRESSION.findall(text):
        # Operands of a comparison are conditions, not values: `ref_name == 'main' && 'production'`.
        expression = re.sub(r"[!=]=\s*'[^']*'|'[^']*'\s*[!=]=", "", expression)
        found.update(QUOTED.findall(expression))
    if not EXPRESSION.search(text):
        found.add(text)
    return found


class Repository:
    def __init__(self, path: Path, report: Report) -> None:
        self.path = path
        self.name = path.name
        self.report = report
        self.workflows: dict[str, dict] = {}
        for file in sorted((path / ".github" / "workflows").glob("*.y*ml")):
            try:
                self.workflows[file.name] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as error:
                report.check(False, f"{self.name}: {file.name} is not YAML: {error}")

    def where(self, what: str) -> str:
        return f"{self.name}: {what}"

    # ---- What the workflows contain ---------------------------------------------------------------
    def callee(self, uses: str) -> tuple[str, dict] | None:
        if not uses.startswith("./.github/workflows/"):
            return None
        name = uses.removeprefix("./.github/workflows/")
        return (name, self.workflows[name]) if name in self.workflows else None

    def pull_request_checks(self, branch: str) -> dict[str, str]:
        """Check-run names that pull requests into `branch` get, with the job that makes each."""
        names: dict[str, str] = {}
        for file, workflow in self.workflows.items():
            if not runs_on_pull_requests_into(workflow, branch):
                continue
            for job_id, job in (workflow.get("jobs") or {}).items():
                if excludes_pull_requests(job.get("if")):
                    continue
                called = self.callee(str(job.get("uses", "")))
                if called is None:
                    for name in check_run_names(job_id, job):
                        names[name] = f"{file} job {job_id}"
                    continue
                caller = job.get("name", job_id)
                for inner_id, inner in (called[1].get("jobs") or {}).items():
                    if excludes_pull_requests(inner.get("if")):
                        continue
                    for name in check_run_names(inner_id, inner):
                        names[f"{caller} / {name}"] = f"{file} job {job_id} → {called[0]} job {inner_id}"
        return names

    def deploy_jobs(self) -> list[tuple[str, str, dict]]:
        return [
            (file, job_id, job)
            for file, workflow in self.workflows.items()
            for job_id, job in (workflow.get("jobs") or {}).items()
            if "environment" in job
        ]

    def environment_values(self) -> set[str]:
        """Every environment name a deploy job can get, from its literal or its callers' inputs."""
        values: set[str] = set()
        for file, job_id, job in self.deploy_jobs():
            environment = job["environment"]
            environment = environment.get("name") if isinstance(environment, dict) else environment
            inputs = re.findall(r"inputs\.([A-Za-z_][\w-]*)", str(environment))
            if not inputs:
                values |= literals(environment)
                continue
            workflow = self.workflows[file]
            for name in inputs:
                dispatch = triggers(workflow).get("workflow_dispatch") or {}
                options = ((dispatch.get("inputs") or {}).get(name) or {}).get("options")
                if options:
                    values |= {str(option) for option in options}
                for caller_file, caller in self.workflows.items():
                    for caller_job in (caller.get("jobs") or {}).values():
                        if str(caller_job.get("uses", "")) == f"./.github/workflows/{file}":
                            values |= literals((caller_job.get("with") or {}).get(name, ""))
        return values

    # ---- Checks ---------------------------------------------------------------------------------------
    def check_codeowners(self) -> None:
        path = self.path / ".github" / "CODEOWNERS"
        if not self.report.check(path.is_file(), self.where(".github/CODEOWNERS is missing: pull requests need code owners to approve")):
            return
        rules = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.lstrip().startswith("#")]
        owners = {rule[0]: rule[1:] for rule in rules}
        self.report.check(bool(owners.get("*")), self.where("CODEOWNERS has no default owner (`* @org/team`)"))
        self.report.check(
            any(pattern.rstrip("/") in ("/.github", ".github") and team for pattern, team in owners.items()),
            self.where("CODEOWNERS names no owner for /.github/ (workflows, rulesets, environments)"),
        )
        for pattern, team in owners.items():
            self.report.check(all(owner.startswith("@") for owner in team), self.where(f"CODEOWNERS: {pattern} has an owner that is not @user or @org/team"))

    def load_json(self, path: Path) -> dict | None:
        if not self.report.check(path.is_file(), self.where(f"{path.relative_to(self.path)} is missing")):
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            self.report.check(False, self.where(f"{path.relative_to(self.path)} is not JSON: {error}"))
            return None

    def check_rulesets(self, environments: set[str], deployed: bool) -> None:
        ci_contexts = set(self.pull_request_checks("develop"))
        for branch in BRANCHES:
            file = f".github/rulesets/{branch}.json"
            ruleset = self.load_json(self.path / file)
            if ruleset is None:
                continue
            where = self.where(file)
            self.report.check(bool(ruleset.get("name")), f"{where}: no name")
            self.report.check(ruleset.get("target") == "branch", f"{where}: target is not branch")
            self.report.check(ruleset.get("enforcement") == "active", f"{where}: enforcement is not active")
            self.report.check(ruleset.get("bypass_actors", []) == [], f"{where}: has bypass actors (nobody may skip the rules)")
            include = ((ruleset.get("conditions") or {}).get("ref_name") or {}).get("include")
            self.report.check(include == [f"refs/heads/{branch}"], f"{where}: applies to {include}, not exactly refs/heads/{branch}")
            rules = {rule.get("type"): rule.get("parameters") or {} for rule in ruleset.get("rules", [])}
            for kind, why in (
                ("deletion", "the branch could be deleted"),
                ("non_fast_forward", "force pushes are allowed"),
                ("required_linear_history", "merge commits are allowed"),
                ("pull_request", "changes need no pull request"),
                ("required_status_checks", "no check is required"),
            ):
                self.report.check(kind in rules, f"{where}: no {kind} rule ({why})")
            review = rules.get("pull_request", {})
            self.report.check(review.get("required_approving_review_count", 0) >= 1, f"{where}: needs no approving review")
            self.report.check(review.get("require_code_owner_review") is True, f"{where}: does not require the code owners' review")
            self.report.check(review.get("dismiss_stale_reviews_on_push") is True, f"{where}: keeps approvals of an older head (dismiss_stale_reviews_on_push)")
            status = rules.get("required_status_checks", {})
            checks = status.get("required_status_checks", [])
            self.report.check(bool(checks), f"{where}: requires no status check")
            available = self.pull_request_checks(branch)
            for check in checks:
                context = check.get("context")
                self.report.check(
                    context in available,
                    f"{where}: required check {context!r} names no job of this repository's workflows that runs on pull requests into {branch} "
                    f"(jobs there: {sorted(available) or 'none'})",
                )
                if "integration_id" in check:
                    self.report.check(check["integration_id"] == GITHUB_ACTIONS_APP_ID, f"{where}: check {context!r} is not bound to GitHub Actions")
            self.report.check(
                any(check.get("context") in ci_contexts for check in checks),
                f"{where}: requires none of the CI jobs (tests) that run on every pull request",
            )
            if branch != "develop":
                self.report.check(
                    status.get("strict_required_status_checks_policy") is True,
                    f"{where}: branches need not be up to date before merging (the plans and images are keyed by the tree that lands)",
                )
            for environment in (rules.get("required_deployments") or {}).get("required_deployment_environments", []):
                self.report.check(environment in environments, f"{where}: requires a deployment to {environment!r}, which is not declared")
            if branch == "main" and deployed:
                self.report.check(
                    "staging" in (rules.get("required_deployments") or {}).get("required_deployment_environments", []),
                    f"{where}: does not require a successful staging deployment before production",
                )

    def check_release_tags(self) -> None:
        conf_path = self.path / ".github" / "release.conf"
        if not self.report.check(conf_path.is_file(), self.where(".github/release.conf is missing (promote.sh reads it)")):
            return
        conf = dict(
            line.split("=", 1) for line in conf_path.read_text(encoding="utf-8").splitlines() if "=" in line and not line.startswith("#")
        )
        prefix = conf.get("RELEASE_TAG_PREFIX", "").split("#")[0].strip()
        self.report.check(prefix == f"{self.name}-v", self.where(f"release.conf: RELEASE_TAG_PREFIX is {prefix!r}, not {self.name}-v"))
        self.report.check(
            conf.get("VERSION_SOURCE", "").split("#")[0].strip() in ("cargo", "commits"),
            self.where("release.conf: VERSION_SOURCE is neither cargo nor commits"),
        )
        ruleset = self.load_json(self.path / ".github" / "rulesets" / "release-tags.json")
        if ruleset is None:
            return
        where = self.where(".github/rulesets/release-tags.json")
        self.report.check(ruleset.get("target") == "tag" and ruleset.get("enforcement") == "active", f"{where}: not an active tag ruleset")
        include = ((ruleset.get("conditions") or {}).get("ref_name") or {}).get("include")
        self.report.check(include == [f"refs/tags/{prefix}*"], f"{where}: protects {include}, not refs/tags/{prefix}*")
        kinds = {rule.get("type") for rule in ruleset.get("rules", [])}
        self.report.check({"deletion", "update"} <= kinds, f"{where}: release tags can be deleted or moved")

    def check_environments(self) -> set[str]:
        declared: dict[str, dict] = {}
        for path in sorted((self.path / ".github" / "environments").glob("*.json")):
            environment = self.load_json(path)
            if environment is not None:
                declared[environment.get("name", path.stem)] = environment
        if not self.deploy_jobs():
            return set(declared)
        for stage, branch in STAGE_BRANCH.items():
            environment = declared.get(stage)
            if not self.report.check(environment is not None, self.where(f"deploys, but .github/environments/{stage}.json is missing")):
                continue
            where = self.where(f".github/environments/{stage}.json")
            self.report.check(
                environment.get("deployment_branches") == [branch],
                f"{where}: deployable from {environment.get('deployment_branches')}, not only from {branch}",
            )
            for reviewer in environment.get("reviewers", []):
                self.report.check(reviewer.get("type") in ("Team", "User") and bool(reviewer.get("slug")), f"{where}: reviewer {reviewer} needs a type and a slug")
        production = declared.get("production") or {}
        self.report.check(bool(production.get("reviewers")), self.where("production has no required reviewer"))
        self.report.check(production.get("prevent_self_review") is True, self.where("production lets whoever triggered a deploy approve it"))
        for value in sorted(self.environment_values()):
            self.report.check(value in declared, self.where(f"a deploy job can run in environment {value!r}, which is not declared"))
        return set(declared)

    def needs_closure(self, jobs: dict, job_id: str) -> set[str]:
        seen: set[str] = set()
        pending = list(as_list(jobs.get(job_id, {}).get("needs")))
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending.extend(as_list(jobs.get(current, {}).get("needs")))
        return seen

    def required_contexts(self, branch: str) -> set[str]:
        try:
            ruleset = json.loads((self.path / ".github" / "rulesets" / f"{branch}.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return set()
        return {
            check.get("context")
            for rule in ruleset.get("rules", [])
            if rule.get("type") == "required_status_checks"
            for check in (rule.get("parameters") or {}).get("required_status_checks", [])
        }

    def check_workflows(self) -> None:
        # What a deploy must wait for: the CI jobs every pull request into develop must pass.
        ci_contexts = self.required_contexts("develop") & set(self.pull_request_checks("develop"))
        deploying = {file for file, _, _ in self.deploy_jobs()}
        for file, workflow in self.workflows.items():
            where = self.where(f".github/workflows/{file}")
            self.report.check("permissions" in workflow, f"{where}: no top-level permissions")
            jobs = workflow.get("jobs") or {}
            for job_id, job in jobs.items():
                uses = [str(job["uses"])] if "uses" in job else []
                uses += [str(step["uses"]) for step in job.get("steps", []) or [] if "uses" in step]
                for action in uses:
                    if action.startswith("./"):
                        continue
                    self.report.check(bool(PINNED.match(action)), f"{where}: job {job_id} uses {action}, not pinned to a full commit SHA")
            events = set(triggers(workflow))
            if file in deploying:
                allowed = {"workflow_call"} | ({"workflow_dispatch"} if file == "rollback.yml" else set())
                self.report.check(
                    events <= allowed,
                    f"{where}: deploy jobs in a workflow started by {sorted(events - allowed)}: a deploy starts only after CI "
                    "(called by the CI workflow) or, for rollback.yml, by hand",
                )
            for job_id, job in jobs.items():
                if "environment" in job:
                    environment = str(job["environment"])
                    concurrency = job.get("concurrency") or {}
                    group = str(concurrency.get("group", "")) if isinstance(concurrency, dict) else str(concurrency)
                    stage_expression = EXPRESSION.findall(environment)
                    self.report.check(
                        bool(group) and all(expression in group for expression in stage_expression) and (stage_expression or environment in group),
                        f"{where}: deploy job {job_id} has no concurrency group of its stage ({environment})",
                    )
                    self.report.check(
                        not isinstance(concurrency, dict) or concurrency.get("cancel-in-progress") in (None, False),
                        f"{where}: deploy job {job_id} may be cancelled in the middle of a deploy",
                    )
                called = self.callee(str(job.get("uses", "")))
                if called is None or called[0] not in deploying:
                    continue
                # A job the rulesets know as CI, that also runs on the push being deployed.
                needed = {needed_id for needed_id in self.needs_closure(jobs, job_id) if not excludes_pushes(jobs.get(needed_id, {}).get("if"))}
                names = {name for needed_id in needed for name in check_run_names(needed_id, jobs.get(needed_id, {}))}
                self.report.check(
                    bool(names & ci_contexts),
                    f"{where}: job {job_id} calls {called[0]} (deploys) without waiting for CI: its needs {sorted(needed) or '[]'} "
                    f"include none of {sorted(ci_contexts)}",
                )
                cancel = (workflow.get("concurrency") or {}).get("cancel-in-progress") if isinstance(workflow.get("concurrency"), dict) else None
                self.report.check(
                    cancel is not True,
                    f"{where}: calls a deploy, but a newer run cancels the running one (workflow concurrency cancel-in-progress: true)",
                )

    def run(self) -> None:
        environments = self.check_environments()
        self.check_codeowners()
        self.check_rulesets(environments, deployed=bool(self.deploy_jobs()))
        self.check_release_tags()
        self.check_workflows()


def check_shared_files(repositories: list[Path], report: Report) -> None:
    copies: dict[str, dict[str, bytes]] = {}
    for repository in repositories:
        paths = [repository / shared for shared in SHARED_FILES]
        paths += sorted((repository / ".github" / "scripts").glob("*.sh"))
        for path in paths:
            if path.is_file():
                copies.setdefault(str(path.relative_to(repository)), {})[repository.name] = path.read_bytes()
    for relative, by_repository in sorted(copies.items()):
        if len(by_repository) < 2:
            continue
        versions: dict[bytes, list[str]] = {}
        for repository, content in sorted(by_repository.items()):
            versions.setdefault(content, []).append(repository)
        report.check(
            len(versions) == 1,
            f"{relative} differs between the repositories ({' | '.join(', '.join(group) for group in versions.values())}): "
            "each repository carries its own copy, and the copies must stay identical",
        )


def main(root: Path) -> int:
    report = Report()
    repositories = sorted(path for path in root.glob("postech-*") if (path / ".github").is_dir())
    report.check(bool(repositories), f"no repository with a .github folder under {root}")
    for path in repositories:
        Repository(path, report).run()
    check_shared_files(repositories, report)
    for failure in report.failures:
        print(f"FAILED {failure}")
    print(f"release settings: {report.passed} passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent))
