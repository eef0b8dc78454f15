#!/usr/bin/env python3
"""Checks of the documentation, run by ctest (tests/CMakeLists.txt) as docs.*:

  links    every relative link in README.md and docs/**/*.md names a file or folder of the
           repository, and every #anchor a heading of the Markdown page it points to
  length   README.md has at most 200 lines
  history  README.md, docs/, scripts/, bench/, cmake/ and data/ speak to users: no account of how the project was
           developed (sessions, lent machines, what was carried to them, issue numbers, ...)

Usage: check_docs.py SOURCE_DIR {links|length|history}...
Exit status 0 when every named check passes; otherwise one line per problem on stderr, 1.
Standard library only.
"""
import os
import re
import sys

README_MAX_LINES = 200

# Words that tell how the project was developed rather than how to use it (a machine lent to a
# session, what was carried to it, the tool's timeout_s, issue numbers, a specification file
# users do not have). Searched case-insensitively from a word start; ordinary English ("every
# node carries a part") passes.
HISTORY_TERMS = [
    r"sessions?\b",
    r"lent\b",
    r"carr(?:y|ies|ied|ying)\b",          # the device tool's vocabulary: say "hold", "take"
    r"timeout_s\b",
    r"SPEC\.md",
    r"issues? ?#?\d+",
    r"the issue\b",
    r"stop \d+\b",
    r"no GPU (?:was|has been) (?:lent|available)",
]
HISTORY_RE = re.compile(r"\b(?:" + "|".join(HISTORY_TERMS) + r")", re.IGNORECASE)

# [text](target) and ![alt](target); the target ends at whitespace or ')'.
LINK_RE = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# <a name="..."> / <a id="..."> anchors written by hand.
HTML_ANCHOR_RE = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
FENCE_RE = re.compile(r"^\s*(```|~~~)")


def markdown_files(root):
    files = [os.path.join(root, "README.md")]
    docs = os.path.join(root, "docs")
    for folder, _, names in os.walk(docs):
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".md")]
    return [f for f in files if os.path.isfile(f)]


def prose_lines(path):
    """(line number, text) of the lines outside fenced code blocks, inline code removed."""
    inside = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE_RE.match(line):
                inside = not inside
                continue
            if not inside:
                yield number, re.sub(r"`[^`]*`", "``", line)


def github_slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"<[^>]+>", "", heading)              # inline HTML
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)                # keeps letters, digits, _, -, space
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path in cache:
        return cache[path]
    found, seen = set(), {}
    inside = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE_RE.match(line):
                inside = not inside
                continue
            if inside:
                continue
            found.update(HTML_ANCHOR_RE.findall(line))
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                slug = github_slug(m.group(2))
                n = seen.get(slug, 0)
                seen[slug] = n + 1
                found.add(slug if n == 0 else f"{slug}-{n}")
    cache[path] = found
    return found


def check_links(root):
    problems = []
    for page in markdown_files(root):
        rel_page = os.path.relpath(page, root)
        for number, line in prose_lines(page):
            for target in LINK_RE.findall(line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                    continue  # https:, mailto: ...: not checked offline
                path_part, _, anchor = target.partition("#")
                dest = page if not path_part else os.path.normpath(
                    os.path.join(os.path.dirname(page), path_part))
                where = f"{rel_page}:{number}: link '{target}'"
                if not os.path.realpath(dest).startswith(os.path.realpath(root)):
                    problems.append(f"{where} leaves the repository")
                    continue
                if not os.path.exists(dest):
                    problems.append(f"{where}: no file {os.path.relpath(dest, root)}")
                    continue
                if anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    problems.append(f"{where}: no heading #{anchor} in "
                                    f"{os.path.relpath(dest, root)}")
    return problems


def check_length(root):
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        n = sum(1 for _ in f)
    if n > README_MAX_LINES:
        return [f"README.md: {n} lines, at most {README_MAX_LINES} (move detail into docs/)"]
    return []


def check_history(root):
    files = markdown_files(root)
    for top in ("scripts", "bench", "cmake", "data"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.join(folder, n) for n in sorted(names)
                      if n.endswith((".md", ".py", ".sh", ".cpp", ".hpp", ".cmake", ".txt",
                                     ".toml", ".geo"))]
    problems = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = HISTORY_RE.search(line)
                if m:
                    problems.append(f"{os.path.relpath(path, root)}:{number}: '{m.group(0)}' "
                                    "tells how the project was developed; say what a user needs")
    return problems


def check_selftest(root):
    """The checks above on a small made-up tree: each must find the fault planted for it and
    nothing in a clean page (so a check that cannot fail is caught here)."""
    import tempfile
    problems = []

    def tree(files):
        d = tempfile.mkdtemp(prefix="dtpinn-docs-")
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        os.makedirs(os.path.join(d, "scripts"), exist_ok=True)
        return d

    clean = {
        "README.md": "# Top\n\nSee [guide](docs/guide.md#the-run-folder-resultsjson) and "
                     "[here](#top), `[not a link](nowhere.md)`.\n",
        "docs/guide.md": "# Guide\n\n## The run folder: `results.json`\n\n"
                         "[back](../README.md) [self](#guide) [dup](#same-1)\n\n"
                         "## Same\n\n## Same\n\n```\n[inside code](missing.md)\n```\n",
    }
    d = tree(clean)
    for name, check in (("links", check_links), ("length", check_length),
                        ("history", check_history)):
        found = check(d)
        if found:
            problems.append(f"selftest: {name} finds faults in a clean tree: {found}")
    planted = {
        "links": ({"docs/other.md": "[x](missing.md) [y](../README.md#no-such-heading)\n"}, 2),
        "length": ({"README.md": "line\n" * (README_MAX_LINES + 1)}, 1),
        "history": ({"docs/other.md": "Measured in the second session.\n",
                     "scripts/x.sh": "# runs on the lent machine\n",
                     "scripts/y.sh": "# carry: [\".gpu-bundle\"], timeout_s 600\n",
                     "docs/fine.md": "Every boundary node holds a part; issues of scale.\n"},
                    3),
    }
    for name, (files, expected) in planted.items():
        d = tree({**clean, **files})
        found = CHECKS[name](d)
        if len(found) != expected:
            problems.append(f"selftest: {name} found {len(found)} of {expected} planted "
                            f"faults: {found}")
    return problems


CHECKS = {"links": check_links, "length": check_length, "history": check_history,
          "selftest": check_selftest}


def main(argv):
    if len(argv) < 3 or any(a not in CHECKS for a in argv[2:]):
        print(f"usage: {argv[0]} SOURCE_DIR {{{'|'.join(CHECKS)}}}...", file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    problems = []
    for name in argv[2:]:
        problems += CHECKS[name](root)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
