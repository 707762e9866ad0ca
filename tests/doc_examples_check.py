#!/usr/bin/env python3
"""CTest "doc_examples": the example outputs in README.md and docs/*.md are what the binary prints.

An example copied from a golden file is marked by the line `<!-- golden: tests/data/golden/NAME -->`
just above its fenced block; the block must equal that file byte for byte. The golden files are
what the renderers print (tests/unit/plan_render_test.cpp and cli_golden_test.cpp compare them
with the output of each subcommand), so a change of wording fails a test until the golden file
and then every copy follow. A fenced block that looks like output of provision without the mark
fails too, since a hand-written example would drift: a plan (a "Plan: N to create" summary), a
status table (the ENTRY ID KEY header, or "key(s) on the portal not managed"), an audit table
(NAME KEY MANAGED BY), the report of apply, destroy or import ("Apply complete: N created"),
validate's verdict ("FILE: valid (N key(s)"), import's and destroy's closing lines, what state
migrate and state unlock print ("migrated the state of", "released lock ID"), Prometheus series
of provision (provision_key_..., provision_audit_...), or a JSON document with a
"formatVersion". A JSON sketch of a document's shape that stands for parts with a `"...":`
placeholder key is a schema, not an example, and is not checked. Before the documents, the
check tries its detection on hand-written examples of each kind (self_test), so that a
narrowed pattern fails here rather than letting hand-written examples through.

Usage: tests/doc_examples_check.py SOURCE_DIR [--fix]
With --fix, every marked block is rewritten from its golden file instead.
"""

import pathlib
import re
import sys

MARK = re.compile(r"^<!-- golden: (\S+) -->$")
FENCE = re.compile(r"^```")
PLAN_SUMMARY = re.compile(r"^(\*\*)?Plan: \d+ to create")
# Lines only provision's output has: what each subcommand prints (see the docstring).
OUTPUT_LINES = [
    ("a plan", PLAN_SUMMARY),
    ("a status table", re.compile(r"^ENTRY\s+ID\s+KEY\b")),
    ("a status table", re.compile(r"key\(s\) on the portal not managed by this manifest")),
    ("an audit table", re.compile(r"^NAME\s+KEY\s+MANAGED BY\b")),
    ("a run's report", re.compile(r"^(Apply|Destroy|Import) complete: \d+ created")),
    ("validate's verdict", re.compile(r": valid \(\d+ key\(s\)")),
    ("a closing line", re.compile(r"^(Imported key sk-|The outputs and the state \()")),
    ("a state command's", re.compile(r"^(migrated the state of|released lock ID) ")),
    ("Prometheus series", re.compile(r"^provision_(key|audit|manifest|unmanaged|last_apply)_\w*[{ ]")),
]
SCHEMA_PLACEHOLDER = '"...":'


def blocks(lines):
    """(index of the opening fence, content) of each fenced block."""
    start = None
    for i, line in enumerate(lines):
        if FENCE.match(line):
            if start is None:
                start = i
            else:
                yield start, "".join(f"{text}\n" for text in lines[start + 1 : i])
                start = None


def looks_like_output(content):
    """What kind of provision output `content` looks like, or None."""
    for line in content.splitlines():
        for kind, pattern in OUTPUT_LINES:
            if pattern.search(line):
                return kind
    if '"formatVersion"' in content and SCHEMA_PLACEHOLDER not in content:
        return "a JSON document"
    return None


def self_test():
    """Hand-written examples each detection must catch, and blocks it must leave alone."""
    caught = {
        "ENTRY            ID    KEY   EXPIRES IN\nDeploy Bot  3f2a...  sk-***9f3a  29d 23h\n":
            "a status table",
        "\n0 key(s) on the portal not managed by this manifest.\n": "a status table",
        "NAME   KEY   MANAGED BY   CREATOR\n": "an audit table",
        "\nApply complete: 1 created, 0 updated, 0 replaced, 0 deleted, 2 unchanged.\n":
            "a run's report",
        "manifests/bots.yaml: valid (3 key(s), 2 output(s))\n": "validate's verdict",
        "provision_key_expiry_timestamp_seconds{manifest=\"m\",entry=\"e\"} 1\n":
            "Prometheus series",
        '{"formatVersion": 2, "keys": []}\n': "a JSON document",
        "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.\n": "a plan",
    }
    left = [
        "provision status manifests/bots.yaml\n",
        '{"formatVersion": 2, "plan": {"...": "the plan document above"}}\n',
    ]
    wrong = [f"{text!r}: {looks_like_output(text)!r}, not {kind!r}"
             for text, kind in caught.items() if looks_like_output(text) != kind]
    wrong += [f"{text!r} taken for output" for text in left if looks_like_output(text)]
    return wrong


def check(root, document, fix=False):
    problems = []
    lines = document.read_text(encoding="utf-8").split("\n")
    shown = document.relative_to(root)
    marked = set()
    replaced = []  # (opening fence, golden text) for --fix
    for i, line in enumerate(lines):
        mark = MARK.match(line)
        if not mark:
            continue
        fence = i + 1
        if fence >= len(lines) or not FENCE.match(lines[fence]):
            problems.append(f"{shown}:{i + 1}: a golden mark must be followed by a fenced block")
            continue
        marked.add(fence)
        golden = root / mark.group(1)
        if not golden.is_file():
            problems.append(f"{shown}:{i + 1}: {mark.group(1)} does not exist")
    for start, content in blocks(lines):
        if start in marked:
            golden = root / MARK.match(lines[start - 1]).group(1)
            if golden.is_file() and content != golden.read_text(encoding="utf-8"):
                if fix:
                    replaced.append((start, golden.read_text(encoding="utf-8")))
                    continue
                problems.append(
                    f"{shown}:{start + 1}: this example differs from {golden.relative_to(root)}; "
                    f"copy the golden file into it"
                )
        elif kind := looks_like_output(content):
            problems.append(
                f"{shown}:{start + 1}: {kind} example not copied from a golden file; put it in "
                f"tests/data/golden/ (a renderer test writes it) and mark the block with "
                f"<!-- golden: tests/data/golden/NAME -->"
            )
    for start, text in reversed(replaced):
        end = next(i for i in range(start + 1, len(lines)) if FENCE.match(lines[i]))
        lines[start + 1 : end] = text.split("\n")[:-1]
        print(f"doc_examples: rewrote the example at {shown}:{start + 1}")
    if replaced:
        document.write_text("\n".join(lines), encoding="utf-8")
    return problems, len(marked)


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    fix = sys.argv[2:] == ["--fix"]
    documents = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    problems = [f"self-test: {wrong}" for wrong in self_test()]
    copies = 0
    for document in documents:
        found, marked = check(root, document, fix)
        problems += found
        copies += marked
    for problem in problems:
        print(f"doc_examples: {problem}", file=sys.stderr)
    if problems:
        return 1
    if copies == 0:
        print("doc_examples: no golden copy found; is the mark still spelled the same?",
              file=sys.stderr)
        return 1
    print(f"doc_examples: {copies} examples in {len(documents)} documents equal their golden files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
