#!/usr/bin/env python3
"""CTest "doc_examples": the plan examples in README.md and docs/*.md are what the binary prints.

An example copied from a golden file is marked by the line `<!-- golden: tests/data/golden/NAME -->`
just above its fenced block; the block must equal that file byte for byte. The golden files are
what the renderers print (tests/unit/plan_render_test.cpp compares them with the output), so a
change of wording fails a test until the golden file and then every copy follow. A fenced block
that looks like plan output (a "Plan: N to create" summary, or a JSON document with
"formatVersion" and "actions") without the mark fails too: a hand-written plan would drift.

Usage: tests/doc_examples_check.py SOURCE_DIR [--fix]
With --fix, every marked block is rewritten from its golden file instead.
"""

import pathlib
import re
import sys

MARK = re.compile(r"^<!-- golden: (\S+) -->$")
FENCE = re.compile(r"^```")
PLAN_SUMMARY = re.compile(r"^(\*\*)?Plan: \d+ to create")


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


def looks_like_plan(content):
    if any(PLAN_SUMMARY.match(line) for line in content.splitlines()):
        return True
    return '"formatVersion"' in content and '"actions"' in content


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
        elif looks_like_plan(content):
            problems.append(
                f"{shown}:{start + 1}: a plan example not copied from a golden file; put it in "
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
    problems = []
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
