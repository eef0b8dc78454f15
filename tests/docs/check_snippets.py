#!/usr/bin/env python3
"""Every TOML snippet of README.md and docs/ is a configuration `dtpinn check` accepts.

Usage: check_snippets.py SOURCE_DIR DTPINN

Each ```toml block is written to a file of its own and checked on a small node set (the
snippets are about keys, not sizes). Prints one line per snippet that fails, naming the page and
line, and exits 1 if any did; exits 1 as well when no snippet was found (the check could not
fail then)."""
import glob
import os
import re
import subprocess
import sys
import tempfile

BLOCK_RE = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)


def snippets(root):
    pages = [os.path.join(root, "README.md")]
    pages += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for m in BLOCK_RE.finditer(text):
            yield os.path.relpath(page, root), text[:m.start()].count("\n") + 1, m.group(1)


def main():
    root, dtpinn = sys.argv[1], sys.argv[2]
    failures, count = [], 0
    with tempfile.TemporaryDirectory(prefix="dtpinn-snippets-") as d:
        for page, line, text in snippets(root):
            count += 1
            path = os.path.join(d, f"snippet{count}.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([dtpinn, "check", path, "--quiet", "--set", "domain.n=300",
                                "--set", "domain.test_n=300"],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                last = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
                failures.append(f"{page}:{line}: dtpinn check refuses this snippet: {last}")
    if count == 0:
        failures.append("no ```toml snippet found in README.md or docs/")
    for f in failures:
        print(f)
    print(f"{count} snippets checked, {len(failures)} refused")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
