#!/usr/bin/env python3
"""Runs the CI pipelines of docs/ci.md, and the scheduled audit jobs of docs/audit.md, against
docspace-emulator (CTest `ci_recipes`).

Extracts from docs/ci.md the manifest, the .gitignore, the GitHub Actions workflow and the
GitLab CI file (each a fenced block whose first line names the file), and runs every shell step
of their jobs, job by job, as the CI systems would: each job in a fresh clone of a local bare
Git remote (a new runner), artifacts handed from job to job, `${{ vars.X }}` /
`${{ secrets.X }}` and GitLab's `$VAR` in `variables:` filled in. The events are those of a
manifest's life: a pull request, a push to main (plan, then apply of the saved plan in another
checkout), a second push that changes nothing, and the scheduled expiry check.

Checked after each pipeline: the portal holds exactly one key per entry; the second push made
no POST; the remote holds the state and the encrypted output, which decrypts with the identity
to the secrets the portal issued; no secret the portal ever issued appears in the remote's
history or in any step's output.

Then docs/audit.md's scheduled job of the same CI system runs in that repository: it passes
while the portal holds only the manifest's keys, fails with exit 10 once a hand-made
unrestricted key appears, and leaves audit.json as an artifact naming that key's finding; the
portal saw no write from it.

Usage: ci_recipes_check.py PROVISION EMULATOR DOCS_CI_MD DOCS_AUDIT_MD
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

PROVISION, EMULATOR, DOCS, AUDIT_DOCS = sys.argv[1:5]
TRANSCRIPT = []  # every CI step's output, searched for secrets at the end


def fail(message):
    print(f"ci_recipes: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def blocks(markdown):
    """Fenced code blocks by the file their first line names (`# path`)."""
    found = {}
    for match in re.finditer(r"^```\w*\n(.*?)^```", markdown, re.S | re.M):
        body = match.group(1)
        first = body.split("\n", 1)[0]
        if re.fullmatch(r"# [\w./-]+", first):
            found[first[2:]] = body
    gitignore = re.search(r"^```gitignore\n(.*?)^```", markdown, re.S | re.M)
    if gitignore:
        found[".gitignore"] = gitignore.group(1)
    return found


def run(cmd, cwd, env=None, check=True):
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        fail(f"{cmd} in {cwd} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


class Emulator:
    def __init__(self, work):
        self.port_file = os.path.join(work, "emulator.port")
        self.log = open(os.path.join(work, "emulator.log"), "w")
        self.process = subprocess.Popen(
            [EMULATOR, "--port-file", self.port_file, "--test-controls"],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                break
            time.sleep(0.1)
        else:
            fail("docspace-emulator did not start")
        self.url = f"http://127.0.0.1:{open(self.port_file).read().strip()}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path) as answer:
            return json.load(answer)

    def post(self, path):
        request = urllib.request.Request(self.url + path, data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    def key_posts(self):
        return sum(1 for r in self.get("/__emulator/requests")
                   if r["method"] == "POST" and r["path"] == "/api/2.0/keys")

    def writes(self):
        """Requests that could change the portal (anything but GET) to its API."""
        return [r for r in self.get("/__emulator/requests")
                if r["method"] != "GET" and r["path"].startswith("/api/")]

    def create_key(self, body, token):
        request = urllib.request.Request(
            self.url + "/api/2.0/keys", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)["response"]

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Pipeline:
    """One repository with its remote, and the runners that check it out."""

    def __init__(self, work, files, ci_values):
        self.work = work
        self.values = ci_values  # vars.* and secrets.* and GitLab CI/CD variables
        self.remote = os.path.join(work, "remote.git")
        self.artifacts = os.path.join(work, "artifacts")
        self.runners = 0
        os.makedirs(self.artifacts)
        run(["git", "init", "-q", "--bare", "-b", "main", self.remote], work)
        seed = os.path.join(work, "seed")
        run(["git", "clone", "-q", self.remote, seed], work)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(seed, path)) or seed, exist_ok=True)
            with open(os.path.join(seed, path), "w") as f:
                f.write(text)
        self.commit_all(seed, "the manifest and its pipeline")

    def commit_all(self, checkout, message, branch="main"):
        run(["git", "add", "-A"], checkout)
        run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
             "-m", message], checkout)
        run(["git", "push", "-q", "origin", f"HEAD:{branch}"], checkout)

    def runner(self, ref="main"):
        """A fresh checkout of `ref`, at a path no other job used."""
        self.runners += 1
        path = os.path.join(self.work, f"runner-{self.runners}", "build", "repo")
        run(["git", "clone", "-q", "--branch", ref, self.remote, path], self.work)
        return path

    def env(self, extra):
        env = {"PATH": os.path.dirname(PROVISION) + ":" + os.environ["PATH"],
               "HOME": os.environ.get("HOME", self.work), "LANG": "C.UTF-8"}
        env.update(extra)
        return env

    def substitute(self, text, fork=False):
        """Fills in `${{ vars.X }}` and `${{ secrets.X }}`; a fork's pull request gets empty
        secrets, as on GitHub."""
        def value(match):
            name = match.group(2)
            if fork and match.group(1) == "secrets":
                return ""
            if name not in self.values:
                fail(f"the recipe uses {match.group(0)}, which the test does not provide")
            return self.values[name]
        return re.sub(r"\$\{\{\s*(vars|secrets)\.(\w+)\s*\}\}", value, text)

    def shell(self, script, cwd, env, what, check=True):
        """Runs one step; unless `check`, a failing step returns its exit code to the caller."""
        if not isinstance(script, str):
            fail(f"{what}: a step that YAML does not read as a command (quote it): {script}")
        done = run(["bash", "-e", "-o", "pipefail", "-c", script], cwd, env, check=False)
        TRANSCRIPT.append(done.stdout + done.stderr)
        if done.returncode != 0 and check:
            fail(f"{what}: `{script.strip()}` exited {done.returncode}:\n"
                 f"{done.stdout}{done.stderr}")
        return done


def github(pipeline, workflow, event, jobs, ref="main", fork=False, expect=0):
    """Runs `jobs` of the workflow, in order, as GitHub would on `event`: after a failing step
    only `if: always()` steps run. Each job must end with exit code `expect`."""
    spec = yaml.safe_load(workflow)
    fill = lambda value: pipeline.substitute(str(value), fork)
    top_env = {k: fill(v) for k, v in (spec.get("env") or {}).items()}
    for name in jobs:
        job = spec["jobs"][name]
        checkout = None
        failed = 0
        env = pipeline.env({**top_env, **{k: fill(v) for k, v in (job.get("env") or {}).items()},
                            "GITHUB_EVENT_NAME": event, "GITHUB_REF_NAME": ref, "CI": "true"})
        for step in job["steps"]:
            uses = step.get("uses", "")
            if failed and "always()" not in str(step.get("if", "")):
                continue
            if uses.startswith("actions/checkout@"):
                checkout = pipeline.runner(ref)
            elif uses.startswith("actions/upload-artifact@"):
                store = os.path.join(pipeline.artifacts, step["with"]["name"])
                os.makedirs(store, exist_ok=True)
                shutil.copy(os.path.join(checkout, step["with"]["path"]), store)
            elif uses.startswith("actions/download-artifact@"):
                store = os.path.join(pipeline.artifacts, step["with"]["name"])
                for item in os.listdir(store):
                    shutil.copy(os.path.join(store, item), checkout)
            elif "run" in step:
                step_env = {**env, **{k: fill(v) for k, v in (step.get("env") or {}).items()}}
                done = pipeline.shell(fill(step["run"]), checkout, step_env,
                                      f"GitHub job {name} ({event})", check=expect == 0)
                failed = failed or done.returncode
            else:
                fail(f"GitHub job {name}: a step the test cannot run: {step}")
        if failed != expect:
            fail(f"GitHub job {name} ({event}) exited {failed}, expected {expect}")


def gitlab(pipeline, ci_file, source, jobs, ref="main", expect=0):
    """Runs `jobs` of .gitlab-ci.yml, in order, as GitLab would for pipeline source `source`:
    a job's script lines in one shell, stopping at the first failure, then its after_script;
    artifacts are kept after a failure only with `when: always`. Each job must end with exit
    code `expect`."""
    spec = yaml.safe_load(ci_file)
    predefined = {"CI": "true", "CI_PIPELINE_SOURCE": source, "CI_COMMIT_BRANCH": ref,
                  "CI_DEFAULT_BRANCH": "main"}
    for name in jobs:
        job = spec[name]
        checkout = pipeline.runner(ref)
        base = {**pipeline.values, **predefined}
        variables = {k: re.sub(r"\$(\w+)", lambda m: base.get(m.group(1), ""), str(v))
                     for k, v in (job.get("variables") or {}).items()}
        env = pipeline.env({**base, **variables})
        for needed in job.get("needs") or []:
            store = os.path.join(pipeline.artifacts, needed)
            for item in os.listdir(store):
                shutil.copy(os.path.join(store, item), checkout)
        for line in job["script"]:
            if not isinstance(line, str):
                fail(f"GitLab job {name}: a line that YAML does not read as a command: {line}")
        done = pipeline.shell("\n".join(job["script"]), checkout, env,
                              f"GitLab job {name} ({source})", check=expect == 0)
        if done.returncode != expect:
            fail(f"GitLab job {name} ({source}) exited {done.returncode}, expected {expect}:\n"
                 f"{done.stdout}{done.stderr}")
        for line in job.get("after_script") or []:
            pipeline.shell(line, checkout, env, f"GitLab job {name} after_script ({source})")
        artifacts = job.get("artifacts") or {}
        if done.returncode != 0 and artifacts.get("when") != "always":
            continue
        for path in artifacts.get("paths") or []:
            store = os.path.join(pipeline.artifacts, name)
            os.makedirs(store, exist_ok=True)
            shutil.copy(os.path.join(checkout, path), store)


def check_outcome(pipeline, emulator, manifest, identity_file, posts_before_noop, posts_after):
    names = [k["name"] for k in yaml.safe_load(manifest)["keys"]]
    keys = emulator.get("/__emulator/state")["keys"]
    if sorted(k["name"] for k in keys) != sorted(names):
        fail(f"the portal holds {[k['name'] for k in keys]}, expected one key per entry {names}")
    if posts_after != posts_before_noop:
        fail(f"the push that changed nothing made {posts_after - posts_before_noop} POSTs")
    clone = pipeline.runner()
    for path in ("manifests/bots.state.json", "secrets/bots.env.age",
                 "secrets/bots.env.age.fingerprints.json"):
        if not os.path.exists(os.path.join(clone, path)):
            fail(f"the remote does not hold {path} after apply")
    tracked = run(["git", "ls-files"], clone).stdout.split()
    if "secrets/bots.env" in tracked or any(p.endswith((".lock", ".recovery")) for p in tracked):
        fail(f"the remote holds files it must not: {tracked}")
    plain = run(["age", "-d", "-i", identity_file, "secrets/bots.env.age"], clone).stdout
    issued = [k["secret"] for k in emulator.get("/__emulator/issued")["keys"]]
    held = re.findall(r"=\s*'?([^'\s]+)'?", plain)
    if sorted(held) != sorted(s for s in issued if s in held) or len(held) != len(names):
        fail("the encrypted output does not hold one issued secret per entry")
    history = run(["git", "log", "-p", "--all"], clone).stdout
    for secret in issued:
        if secret in history:
            fail("a secret is in the remote's git history")
        if any(secret in text for text in TRANSCRIPT):
            fail("a secret appeared in a CI step's output")


def check_audit(system, pipeline, emulator, run_audit):
    """docs/audit.md's scheduled job: green on the pipeline's own keys, red (exit 10) with the
    finding in its audit.json artifact once a hand-made unrestricted key is on the portal, and
    never a write to the portal."""
    report_path = os.path.join(pipeline.artifacts, "key-audit", "audit.json")
    writes = len(emulator.writes())
    run_audit(0)
    report = json.load(open(report_path))
    if report["findings"] or report["summary"]["managed"] != 2:
        fail(f"{system}: the audit of the pipeline's own keys reported {report['summary']} "
             f"and findings {report['findings']}")
    emulator.create_key({"name": "Hand Made Admin", "permissions": ["*"], "expiresInDays": 30},
                        "emulator-owner-token")
    writes = len(emulator.writes())
    run_audit(10)
    report = json.load(open(report_path))
    found = {(f["keyName"], f["rule"]) for f in report["findings"]}
    if found != {("Hand Made Admin", "unrestricted-scope")}:
        fail(f"{system}: the audit after a hand-made unrestricted key found {found}")
    if len(emulator.writes()) != writes:
        fail(f"{system}: the audit job wrote to the portal: {emulator.writes()[writes:]}")
    print(f"ci_recipes: {system}: the scheduled audit passed on the pipeline's keys and failed "
          f"(exit 10) on a hand-made unrestricted key, read-only")


def main():
    markdown = open(DOCS).read()
    found = blocks(markdown)
    for needed in ("manifests/bots.yaml", ".gitignore", ".github/workflows/docspace-keys.yml",
                   ".gitlab-ci.yml"):
        if needed not in found:
            fail(f"docs/ci.md has no block for {needed}")
    audit_found = blocks(open(AUDIT_DOCS).read())
    for needed in (".github/workflows/key-audit.yml", ".gitlab-ci.yml"):
        if needed not in audit_found:
            fail(f"docs/audit.md has no block for {needed}")
    work = tempfile.mkdtemp(prefix="provision-ci-recipes-")
    emulator = Emulator(work)
    try:
        keygen = run(["age-keygen", "-o", os.path.join(work, "age.key")], work)
        identity_file = os.path.join(work, "age.key")
        identity = open(identity_file).read()
        recipient = re.search(r"age1[0-9a-z]+", keygen.stdout + keygen.stderr).group(0)
        manifest = re.sub(r"age1[0-9a-z]{58}", recipient, found["manifests/bots.yaml"])
        values = {"DOCSPACE_URL": emulator.url, "DOCSPACE_TOKEN": "emulator-owner-token",
                  "AGE_IDENTITY": identity}

        for system in ("github", "gitlab"):
            emulator.post("/__emulator/reset")
            root = os.path.join(work, system)
            os.makedirs(root)
            files = {"manifests/bots.yaml": manifest, ".gitignore": found[".gitignore"]}
            if system == "github":
                workflow = found[".github/workflows/docspace-keys.yml"]
                files[".github/workflows/docspace-keys.yml"] = workflow
                pipeline = Pipeline(root, files, values)
                # A pull request from a branch: validate without any secret, then plan.
                branch = pipeline.runner()
                with open(os.path.join(branch, "manifests/bots.yaml"), "a") as f:
                    f.write("# reviewed\n")
                pipeline.commit_all(branch, "a change for review", branch="review")
                github(pipeline, workflow, "pull_request", ["validate"], ref="review", fork=True)
                github(pipeline, workflow, "pull_request", ["plan"], ref="review")
                run_jobs = lambda event, jobs: github(pipeline, workflow, event, jobs)
            else:
                ci_file = found[".gitlab-ci.yml"]
                files[".gitlab-ci.yml"] = ci_file
                pipeline = Pipeline(root, files, dict(values))
                pipeline.values["STATE_REMOTE"] = pipeline.remote  # known once the remote exists
                gitlab(pipeline, ci_file, "merge_request_event", ["validate", "plan"])
                run_jobs = lambda event, jobs: gitlab(pipeline, ci_file, event, jobs)
            if emulator.key_posts() != 0:
                fail(f"{system}: the review's jobs created keys")
            # Main: the first push creates the keys, the second changes nothing; then the
            # scheduled expiry check.
            run_jobs("push", ["plan", "apply"])
            posts = emulator.key_posts()
            run_jobs("push", ["plan", "apply"])
            run_jobs("schedule", ["expiry"])
            check_outcome(pipeline, emulator, manifest, identity_file, posts,
                          emulator.key_posts())
            print(f"ci_recipes: {system}: every step ran; {posts} keys created, none on the "
                  f"second push; state and encrypted output kept in the remote")
            if system == "github":
                audit = lambda expect: github(
                    pipeline, audit_found[".github/workflows/key-audit.yml"], "schedule",
                    ["audit"], expect=expect)
            else:
                audit = lambda expect: gitlab(pipeline, audit_found[".gitlab-ci.yml"], "schedule",
                                              ["key-audit"], expect=expect)
            check_audit(system, pipeline, emulator, audit)
    finally:
        emulator.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
