#!/usr/bin/env python3
"""CTest "shell_completion": the scripts of `provision completion bash|zsh|fish` complete in the
real shells, as a user typing TAB sees it.

bash and zsh run interactively on a pseudo-terminal (python's pty): each case types a partial
command line and TAB, then a key bound to a function that writes the shell's line buffer
(READLINE_LINE, BUFFER) to a file, and compares the completed line. zsh loads the script as an
installed `_provision` in $fpath under compinit (as the packages install it) and also through
`source <(provision completion zsh)`. fish is asked with `complete -C`, its own non-interactive
query of what TAB would offer. provision is on the PATH, as an installed one is: the scripts
call `provision __entries MANIFEST` for the entry names after --target.

zsh and fish come from scripts/setup's test packages. A shell that is not installed is not
tested: the others still are, and the run then ends with exit code 77, which CTest reports as
skipped (SKIP_RETURN_CODE), naming the missing shell; a failure in another shell still fails.

Usage: tests/completion_check.py PROVISION_BINARY MANIFEST
"""

import os
import pathlib
import pty
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 20  # seconds for one completion to show up; generous for a loaded machine
SKIPPED = 77  # tests/CMakeLists.txt: SKIP_RETURN_CODE
failures = []
missing = []  # shells not installed


def check(what, actual, expected):
    if actual != expected:
        failures.append(f"{what}:\n    expected {expected!r}\n    got      {actual!r}")
    else:
        print(f"ok: {what}")


class Terminal:
    """An interactive shell on a pseudo-terminal; its output is drained and kept for errors."""

    def __init__(self, argv, env, cwd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        self.output = b""

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.output += data

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait_for_file(self, path):
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            self.drain(0.05)
            if path.exists():
                # The writer may not have finished: wait for its size to settle.
                self.drain(0.1)
                return path.read_text()
        return None

    def close(self):
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def run_interactive(shell, argv, setup, cases, env, cwd, dump):
    """Types each case's text and TAB in `shell`, and returns the completed lines."""
    term = Terminal(argv, env, cwd)
    try:
        ready = dump.with_name("ready")
        term.send("".join(line + "\n" for line in setup) + f"echo > {shlex.quote(str(ready))}\n")
        if term.wait_for_file(ready) is None:
            failures.append(f"{shell}: the shell never became ready:\n{term.output.decode(errors='replace')}")
            return None
        results = []
        for text in cases:
            if dump.exists():
                dump.unlink()
            # Every case completes to one word. Ctrl-X writes the line; Ctrl-U then clears it
            # for the next case.
            term.send(text + "\t")
            term.drain(0.3)
            term.send("\x18")
            line = term.wait_for_file(dump)
            term.send("\x15")
            term.drain(0.1)
            if line is None:
                failures.append(f"{shell}: no line for {text!r}:\n{term.output.decode(errors='replace')[-2000:]}")
                line = ""
            results.append(line)
        return results
    finally:
        term.close()


def main():
    provision = pathlib.Path(sys.argv[1]).resolve()
    manifest_source = pathlib.Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory() as temp:
        work = pathlib.Path(temp)
        (work / "manifests").mkdir()
        shutil.copy(manifest_source, work / "manifests" / "bots.yaml")
        (work / "completions").mkdir()
        env = {
            "PATH": f"{provision.parent}:/usr/bin:/bin",
            "HOME": str(work),
            "TERM": "xterm",
            "LANG": "C.UTF-8",
            "DOCSPACE_URL": "https://docspace.example.com",
            "DOCSPACE_TOKEN": "unused",
        }
        scripts = {}
        for shell in ("bash", "zsh", "fish"):
            made = subprocess.run([provision, "completion", shell], capture_output=True, text=True,
                                  env=env, check=True)
            scripts[shell] = made.stdout
        (work / "provision.bash").write_text(scripts["bash"])
        (work / "completions" / "_provision").write_text(scripts["zsh"])
        (work / "provision.zsh").write_text(scripts["zsh"])
        (work / "provision.fish").write_text(scripts["fish"])
        dump = work / "line"
        q = shlex.quote

        # Each case: what is typed before TAB, and the words of the completed line.
        m = "manifests/bots.yaml"
        cases = [
            ("provision pl", ["provision", "plan"]),
            ("provision apply --pr", ["provision", "apply", "--prune"]),
            ("provision --no-color apply --pr", ["provision", "--no-color", "apply", "--prune"]),
            ("provision --log-level de", ["provision", "--log-level", "debug"]),
            ("provision plan --output mar", ["provision", "plan", "--output", "markdown"]),
            ("provision status --output pro", ["provision", "status", "--output", "prometheus"]),
            ("provision help des", ["provision", "help", "destroy"]),
            ("provision plan manifests/bo", ["provision", "plan", m]),
            (f"provision apply {m} --target Int", ["provision", "apply", m, "--target", "Integration Bot"]),
            (f"provision rotate {m} --key Aud", ["provision", "rotate", m, "--key", "Audit Reader"]),
        ]
        typed = [text for text, _ in cases]

        def compare(shell, lines):
            if lines is None:
                return
            for (text, words), line in zip(cases, lines):
                try:
                    got = shlex.split(line)
                except ValueError:
                    got = [line]
                check(f"{shell}: {text!r} + TAB", got, words)

        bash = run_interactive(
            "bash", ["bash", "--norc", "--noprofile", "-i"],
            [f"source {q(str(work / 'provision.bash'))}",
             f"bind -x '\"\\C-x\": printf %s \"$READLINE_LINE\" > {q(str(dump))}'"],
            typed, env, work, dump)
        compare("bash", bash)

        zsh_dump = [
            f"__dump() {{ print -rn -- \"$BUFFER\" > {q(str(dump))}; }}",
            "zle -N __dump",
            "bindkey '^X' __dump",
            "bindkey '^U' kill-whole-line",
        ]
        compinit = "autoload -Uz compinit && compinit -u -d "
        zsh_ways = {
            "zsh (installed in fpath)": [f"fpath=({q(str(work / 'completions'))} $fpath)",
                                         compinit + q(str(work / "zcompdump"))],
            "zsh (sourced)": [compinit + q(str(work / "zcompdump2")),
                              f"source {q(str(work / 'provision.zsh'))}"],
        }
        for label, setup in zsh_ways.items():
            if shutil.which("zsh", path=env["PATH"]) is None:
                missing.append("zsh")
                break
            compare(label, run_interactive("zsh", ["zsh", "-f", "-i"], setup + zsh_dump, typed,
                                           env, work, dump))

        # fish: `complete -C LINE` prints what TAB offers for the line's last word.
        def fish_offers(text):
            query = subprocess.run(
                ["fish", "--no-config", "-c",
                 f"source {q(str(work / 'provision.fish'))}; complete -C {q(text)}"],
                capture_output=True, text=True, env=env, cwd=work, timeout=60)
            if query.stderr:
                failures.append(f"fish: {text!r}: {query.stderr}")
            return [line.split("\t")[0] for line in query.stdout.splitlines()]

        if shutil.which("fish", path=env["PATH"]) is None:
            missing.append("fish")
        else:
            for text, words in cases:
                check(f"fish: {text!r} + TAB offers {words[-1]!r}", words[-1] in fish_offers(text),
                      True)
            check("fish: --target offers exactly the manifest's entries",
                  sorted(fish_offers(f"provision apply {m} --target ")),
                  ["Audit Reader", "Backup Agent", "Integration Bot"])

    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if failures:
        return 1
    if missing:
        print(f"SKIPPED: {' and '.join(missing)} not installed, so not tested (scripts/setup "
              f"installs them); the other shells passed", file=sys.stderr)
        return SKIPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
