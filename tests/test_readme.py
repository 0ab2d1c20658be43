"""Every code block of README.md runs, as a new user would run it, in a folder of their own
that holds the shipped ``examples/``.

- ``python`` blocks: all of them, in order, as ONE script (``python script.py``, no
  ``__main__`` guard, as a user saves a snippet), one test per block;
- ``console`` blocks: every ``$ selector ...`` line through ``main([...])`` (exit code 0,
  or the one its comment states: ``(exit code 1)``); ``$ python examples/...`` as a
  subprocess; output lines shown under a command must appear in its output, in order (``…``
  stands for any lines; seconds and the PuLP version may differ);
- ``make``/``pip`` lines are not run here (they install; ``make test`` is what runs this);
- the figures of the Performance section are the benchmark files' own.

The python script runs first, then the console lines in README order.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from selector.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOT_RUN = {"make": "runs the whole suite or installs (make test runs this file)",
           "pip": "installs the package"}
#: Blocks that fail until another engineer's work is merged (strict: remove when it passes).
XFAIL: dict[str, str] = {}   # a README text -> why its block is expected to fail (none)


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int


@dataclass(frozen=True)
class Command:
    argv: list[str]
    line: int
    exit_code: int
    expected: list[str]


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, flags=re.M | re.S):
        found.append(Block(match.group(1), match.group(2),
                           text[:match.start()].count("\n") + 2))
    return found


def commands() -> list[Command]:
    out: list[Command] = []
    for block in blocks():
        if block.lang != "console":
            continue
        lines = block.text.replace("\\\n", " ").splitlines()
        current: Command | None = None
        for k, line in enumerate(lines):
            if line.startswith("$ "):
                code = re.search(r"\(exit code (\d)\)", line)
                argv = shlex.split(line[2:], comments=True)
                current = Command(argv, block.line + k, int(code.group(1)) if code else 0, [])
                out.append(current)
            elif current is not None:
                current.expected.append(line)
    return out


PYTHON = [b for b in blocks() if b.lang == "python"]
CONSOLE = commands()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's folder: the shipped examples (read in place), nothing else."""
    root = tmp_path_factory.mktemp("readme")
    (root / "examples").symlink_to(ROOT / "examples")
    return root


RUNNER = '''
import json, os, sys, traceback
os.environ.setdefault("README_MAIN_PID", str(os.getpid()))
main = os.environ["README_MAIN_PID"] == str(os.getpid())
blocks = json.loads(sys.argv[1] if main else os.environ["README_BLOCKS"])
os.environ["README_BLOCKS"] = json.dumps(blocks)
results = {}
for line, code in blocks:
    try:
        exec(compile(code, f"README.md:{line}", "exec"), globals())
        results[line] = None
    except BaseException as exc:
        if not main:
            raise
        results[line] = "".join(traceback.format_exception(exc))[-3000:]
    if main:
        with open("readme-results.json", "w", encoding="utf-8") as f:
            json.dump(results, f)
'''


@pytest.fixture(scope="module")
def python_results(workdir: Path) -> dict[str, str | None]:
    """Run every python block in order as one script; ``{line: None | traceback}``."""
    script = workdir / "readme_script.py"
    script.write_text(RUNNER, encoding="utf-8")
    payload = json.dumps([[b.line, b.text] for b in PYTHON])
    env = {k: v for k, v in os.environ.items() if not k.startswith("README_")}
    run = subprocess.run([sys.executable, str(script), payload], cwd=workdir, env=env,
                         capture_output=True, text=True, timeout=1800, check=False)
    path = workdir / "readme-results.json"
    results: dict[str, str | None] = (json.loads(path.read_text(encoding="utf-8"))
                                      if path.exists() else {})
    for block in PYTHON:
        results.setdefault(str(block.line), f"not reached:\n{run.stderr[-3000:]}")
    return results


def _marks(text: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=why)
            for key, why in XFAIL.items() if key in text]


@pytest.mark.parametrize("block", [pytest.param(b, id=f"python-line-{b.line}",
                                                marks=_marks(b.text)) for b in PYTHON])
def test_python_block(block: Block, python_results: dict[str, str | None]) -> None:
    assert python_results[str(block.line)] is None, python_results[str(block.line)]


def _normal(line: str) -> str:
    line = re.sub(r"\((PuLP|OR-Tools) [\d.]+\)", r"(\1 #)", line)
    line = re.sub(r"[\d.,]+ (秒|s)$", r"# \1", line.rstrip())
    return " ".join(line.split())


def _check_output(expected: list[str], printed: str) -> None:
    got = [_normal(x) for x in printed.splitlines() if x.strip()]
    at = 0
    for want in (_normal(x) for x in expected if x.strip()):
        if want == "…":
            continue
        assert want in got[at:], f"{want!r} not printed (after line {at}):\n{printed}"
        at = got.index(want, at) + 1


@pytest.mark.parametrize("command", [pytest.param(c, id=f"line-{c.line}-{c.argv[0]}")
                                     for c in CONSOLE])
def test_console_line(command: Command, workdir: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    tool = command.argv[0]
    if tool in NOT_RUN:
        pytest.skip(NOT_RUN[tool])
    monkeypatch.chdir(workdir)
    if tool == "selector":
        code = main(command.argv[1:])
        captured = capsys.readouterr()
        printed = captured.out
        assert code == command.exit_code, captured.err[-2000:]
    else:
        assert tool == "python", f"README line {command.line}: unknown tool {tool}"
        run = subprocess.run([sys.executable, *command.argv[1:]], cwd=workdir,
                             capture_output=True, text=True, timeout=900, check=False)
        assert run.returncode == command.exit_code, run.stderr[-2000:]
        printed = run.stdout
    _check_output(command.expected, printed)


def test_files_the_readme_names_ship() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"examples/[\w./\-]+\.\w+", text))
    assert named and not [n for n in named if not (ROOT / n).is_file()]


def test_performance_figures_come_from_the_benchmark_files() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Performance"):text.index("## Layout")]
    bench = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "benchmarks").glob("*.md"))
    figures = set(re.findall(r"(?<![\w.])\d+\.\d+(?= ?s\b| ?%| ?GB|×)", section))
    missing = sorted(f for f in figures if f not in bench)
    assert figures and missing == []
