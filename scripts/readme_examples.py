#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The README's examples, run by the built binary, so that what the README shows is what hpusim prints.

Every fenced block holding lines that start with "$ " is a shell session: each "$ " line (with "\\" continuations)
is a command, the lines after it up to the next command are its output. The blocks run in README order in one
scratch folder (files an example writes are there for the next), with the repository's folders linked into it,
`hpusim` on PATH, HPUSIM_MODELS_DIR=models and SOURCE_DATE_EPOCH fixed, so outputs are deterministic.

Markers on the lines just above a block's opening fence (HTML comments, invisible on GitHub):
  <!-- example: skip -->            not run (say why in the comment)
  <!-- example: run only -->        run for its files, output not compared (the README abridges it)
  <!-- example setup: COMMAND -->   a shell command run first, not shown (e.g. writing an input file)

Usage: scripts/readme_examples.py [--write] [--hpusim PATH] [--only TEXT] [README.md]
  default: check, print a diff per example that differs, exit 1 if any does
  --write: replace the README's outputs with what the binary printed
  --only:  run only blocks whose commands contain TEXT (files made by earlier blocks will be missing)
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINKED = ["models", "scenarios", "tests", "traces", "calibration", "bench", "sweep", "scripts", "docs"]
EPOCH = "1795376114"  # 2026-11-22T19:35:14Z: the date the README's trace examples were first recorded
# Figures that are this machine's wall time, not the simulation's: compared with the number left out.
WALL_TIME = [re.compile(r"^(this host: )[0-9.]+( s)"), re.compile(r"( in )[0-9.]+( s)$")]


def normalised(line):
    for pattern in WALL_TIME:
        line = pattern.sub(r"\1N\2", line)
    return line


def matches(shown, got):
    """A shown output may abridge with lines "...": the part before the first opens the output, the part after the
    last closes it, and the parts between appear in order."""
    norm = lambda ls: [normalised(l) for l in ls]
    parts = [[]]
    for line in shown:
        parts.append([]) if line == "..." else parts[-1].append(line)
    got = norm(got)
    if len(parts) == 1:
        return norm(parts[0]) == got
    head, tail, middle = norm(parts[0]), norm(parts[-1]), [norm(p) for p in parts[1:-1]]
    if len(got) < len(head) + len(tail) or got[:len(head)] != head or (tail and got[len(got) - len(tail):] != tail):
        return False
    at, end = len(head), len(got) - len(tail)
    for part in middle:
        found = next((i for i in range(at, end - len(part) + 1) if got[i:i + len(part)] == part), None)
        if found is None:
            return False
        at = found + len(part)
    return True


def abridged_like(shown, got):
    """What --write puts back: the output, abridged where the README abridged it (one gap at most; None otherwise)."""
    if "..." not in shown:
        return got
    if shown.count("...") > 1:
        return None
    cut = shown.index("...")
    head, tail = len(shown[:cut]), len(shown[cut + 1:])
    return got[:head] + ["..."] + (got[len(got) - tail:] if tail else [])


def parse(lines):
    """Blocks: (first line index, last line index, markers, [(command lines, output lines, first output index)])."""
    blocks, i = [], 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        start = i
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        body = lines[start + 1:end]
        markers, k = [], start - 1
        while k >= 0 and lines[k].startswith("<!-- example"):
            markers.insert(0, lines[k])
            k -= 1
        sessions, j = [], 0
        while j < len(body):
            if not body[j].startswith("$ "):
                j += 1
                continue
            cmd = [body[j]]
            while cmd[-1].endswith("\\") and j + 1 < len(body):
                j += 1
                cmd.append(body[j])
            out_from = j + 1
            j += 1
            while j < len(body) and not body[j].startswith("$ "):
                j += 1
            sessions.append((cmd, body[out_from:j], start + 1 + out_from))
        if sessions:
            blocks.append((start, end, markers, sessions))
        i = end + 1
    return blocks


def run(command, work, env):
    """The command's output lines and exit status (of a pipeline: its last command's)."""
    r = subprocess.run(["bash", "-c", command], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    out = r.stdout.decode("utf-8", "replace").rstrip("\n").split("\n") if r.stdout.strip() else []
    return out, r.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("readme", nargs="?", default=os.path.join(REPO, "README.md"))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--hpusim", default=os.path.join(REPO, "build", "cli", "hpusim"))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    hpusim = os.path.abspath(args.hpusim)
    if subprocess.run(["sh", "-c", "command -v sqlite3"], stdout=subprocess.DEVNULL).returncode != 0:
        print("sqlite3 (the shell) is not installed: the README's SQL examples cannot run; skipped")
        return 77  # CTest's SKIP_RETURN_CODE
    if not os.access(hpusim, os.X_OK):
        sys.exit(f"{hpusim}: not built (cmake --build build)")
    with open(args.readme, encoding="utf-8") as f:
        lines = f.read().split("\n")
    work = tempfile.mkdtemp(prefix="hpusim-readme-")
    bin_dir = os.path.join(work, ".bin")
    os.mkdir(bin_dir)
    os.symlink(hpusim, os.path.join(bin_dir, "hpusim"))
    for name in LINKED:
        if os.path.exists(os.path.join(REPO, name)):
            os.symlink(os.path.join(REPO, name), os.path.join(work, name))
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], HPUSIM_MODELS_DIR="models",
               SOURCE_DATE_EPOCH=EPOCH, COLUMNS="120", LC_ALL="C.UTF-8")
    replacements, differing, ran = [], 0, 0
    for start, end, markers, sessions in parse(lines):
        text = "\n".join(markers)
        if "example: skip" in text:
            continue
        if args.only and not any(args.only in " ".join(c) for c, _, _ in sessions):
            continue
        for m in markers:
            setup = re.match(r"<!-- example setup: (.*) -->$", m)
            if setup:
                _, status = run(setup.group(1), work, env)
                if status != 0:
                    print(f"README.md:{start + 1}: the setup command failed (exit {status}): {setup.group(1)}")
                    differing += 1
        compare = "example: run only" not in text
        for cmd, shown, at in sessions:
            command = "\n".join(cmd)[2:].replace("\\\n", " ")
            got, status = run(command, work, env)
            ran += 1
            # A shown output that begins "hpusim: " is a refusal the README demonstrates: exit status 2; anything
            # else must succeed.
            want = 2 if shown and shown[0].startswith("hpusim: ") else 0
            if status != want:
                differing += 1
                print(f"README.md:{at}: exit status {status}, expected {want}: {command.splitlines()[0][:100]}")
            if compare and not matches(shown, got):
                rewritten = abridged_like(shown, got)
                differing += 1
                print(f"README.md:{at}: {command.splitlines()[0][:100]}")
                sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(shown, got, "README", "hpusim", lineterm="", n=1))
                if rewritten is None:
                    print("  (several '...' gaps: --write leaves this one to be edited by hand)")
                else:
                    replacements.append((at, len(shown), rewritten))
    if args.write and replacements:
        for at, count, got in sorted(replacements, reverse=True):
            lines[at:at + count] = got
        with open(args.readme, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        print(f"rewrote {len(replacements)} example outputs in {args.readme}")
    print(f"{ran} commands run, {differing} with output that differs from the README")
    subprocess.run(["rm", "-rf", work])
    return 1 if differing and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
