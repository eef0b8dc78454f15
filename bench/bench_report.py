"""What every benchmark script writes with its table: the machine, the command, the date, the
commit and the load (bench/results/<machine>/NAME.md)."""
import datetime
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def machine_slug():
    """("cpu-<cores>core-<vendor>", the CPU model name) of this machine."""
    cpus = os.cpu_count() or 0
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    vendor = "amd-epyc" if "EPYC" in model else re.sub(r"[^a-z0-9]+", "-", model.lower())[:24]
    return f"cpu-{cpus}core-{vendor}", model


def provenance(script, load_start):
    """The command, machine and date lines (markdown list items) of a result file."""
    slug, model = machine_slug()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return [
        f"- command: `python3 bench/{script} {' '.join(sys.argv[1:])}`".rstrip(),
        f"- machine: `{slug}`: {model}, {os.cpu_count()} logical CPUs; `{platform.platform()}`",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit "
        f"{commit}; load average at start {load_start:.2f}, at end {os.getloadavg()[0]:.2f}"]


def write_lines(path, lines):
    """Writes the markdown lines to path (its folder made) and says so."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")
