"""Mutation testing of the audits' verdicts and the statistics: does a plausible one-line bug fail a test?

Why not mutmut: mutmut mutates every string and call (most of them messages, where a change is
harmless by design), selects tests by coverage (every audit is covered by the slow shipped-dataset
and plugin tests, so each mutant would run minutes of tests), and copies the tree into `mutants/`
under the project. The bugs that change a verdict are few kinds, and these are what a reviewer
plants by hand (issue 16): a comparison made strict or loose or flipped, `and` for `or`, a dropped
`not`, a threshold or count off by one or scaled, a condition dropped, `p` read where the
corrected `q` is meant. This tool plants exactly those, one at a time, in a private copy of the
tree, and runs the test files that exercise the module (`TARGETS`), stopping at the first
failure.

Operators (AST level; docstrings, messages and other strings are never touched):
- ``cmp``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``<``/``<=`` <-> ``>``/``>=``;
- ``bool``: ``and`` <-> ``or``; ``not x`` -> ``x``;
- ``num``: an int ``k`` -> ``k + 1``; a float ``x`` -> ``x * 1.5`` (``0.0`` -> ``0.5``), in code and
  in the audits' ``params`` defaults (thresholds);
- ``if``: the condition of an ``if`` (or a conditional expression) -> ``True`` and -> ``False``;
- ``pq``: the string key ``"q"`` -> ``"p"`` and the attribute ``.q`` -> ``.p``.

A mutant is *killed* when the selected tests fail (or time out), *survived* when they pass, and
*incompetent* when the mutated module does not even import (a syntax-valid mutant that breaks the
import is killed by any test run, so it is counted as killed but listed apart). Equivalent mutants
(no behaviour change) exist; the report lists survivors with file:line and the change, to read.

Usage:
    python tools/mutation.py [--modules traitlint/nlp/stats.py,...] [--jobs 2] [--limit N]
                             [--timeout 120] [--out build/mutation.json]
`make mutation` runs it over every target. Not part of `make test`: it takes a long time.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFOUND_TESTS = ["tests/test_confounds.py", "tests/test_confound_power.py", "tests/test_confound_properties.py",
                  "tests/test_confound_invariance.py", "tests/test_boundaries_confounds.py",
                  "tests/test_declarations.py", "tests/test_signal_checks.py"]
STRUCTURAL_TESTS = ["tests/test_structural.py", "tests/test_loader.py", "tests/test_boundaries_structural.py"]
DIVERSITY_TESTS = ["tests/test_diversity.py", "tests/test_diversity_divergence.py", "tests/test_diversity_language.py",
                   "tests/test_diversity_properties.py", "tests/test_boundaries_diversity.py"]

#: module -> the test files that exercise it (the first are the fastest, run first with -x).
TARGETS: dict[str, list[str]] = {
    "traitlint/nlp/stats.py": ["tests/test_stats.py", "tests/test_core.py", *CONFOUND_TESTS],
    **{f"traitlint/audits/confounds/{m}.py": CONFOUND_TESTS
       for m in ("lexical_leak", "vocabulary_clustering", "valence", "person", "length", "intensity",
                 "cross_distribution", "declared_words", "negation", "concentration", "signal_valence")},
    "traitlint/nlp/declarations.py": ["tests/test_declarations.py", *CONFOUND_TESTS],
    "traitlint/audits/diversity/decision_tail.py": ["tests/test_signal_checks.py"],
    "traitlint/audits/structural/crossmatch.py": ["tests/test_pairing_scramble.py", *STRUCTURAL_TESTS],
    **{f"traitlint/audits/structural/{m}.py": STRUCTURAL_TESTS
       for m in ("files", "pairing", "alignment", "duplicates", "pair_count", "definition_format",
                 "steering_format", "prefill_ending", "text")},
    **{f"traitlint/audits/diversity/{m}.py": DIVERSITY_TESTS
       for m in ("templates", "divergence", "manifestation_coverage", "plan_coverage", "topic_imbalance")},
}

_CMP_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt],
              ast.GtE: [ast.Gt, ast.LtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq]}


@dataclass
class Mutant:
    module: str
    index: int  # the k-th mutation site of this module, in AST walk order
    line: int
    operator: str
    change: str
    status: str = "pending"  # killed / survived / incompetent / timeout
    seconds: float = 0.0
    killed_by: str = ""


# finding mutation sites ----------------------------------------------------------------------------------
def _docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                out.add(id(body[0].value))
    return out


def _in_fstring(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            out.update(id(n) for n in ast.walk(node))
    return out


def sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str, str, object]]:
    """(node, operator, description, payload) for every mutation site, in a deterministic order."""
    skip = _docstring_nodes(tree) | _in_fstring(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                for new in _CMP_SWAPS.get(type(op), []):
                    yield node, "cmp", f"{_sym(op)} -> {_sym(new())}", (k, new)
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, "bool", f"{_sym(node.op)} -> {_sym(new())}", new
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "bool", "not x -> x", None
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            value = node.value
            new = value + 1 if isinstance(value, int) else (value * 1.5 if value else 0.5)
            yield node, "num", f"{value!r} -> {new!r}", new
        elif isinstance(node, (ast.If, ast.IfExp)):
            for value in (True, False):
                yield node, "if", f"condition -> {value}", value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "q":
            yield node, "pq", '["q"] -> ["p"]', None
        elif isinstance(node, ast.Attribute) and node.attr == "q":
            yield node, "pq", ".q -> .p", None


def _sym(op: ast.AST) -> str:
    return {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
            ast.And: "and", ast.Or: "or"}.get(type(op), type(op).__name__)


def mutate(source: str, index: int) -> str:
    """The module's source with mutation site `index` applied."""
    tree = ast.parse(source)
    for k, (node, op, _desc, payload) in enumerate(sites(tree)):
        if k != index:
            continue
        if op == "cmp":
            pos, new = payload
            node.ops[pos] = new()
        elif op == "bool" and isinstance(node, ast.BoolOp):
            node.op = payload()
        elif op == "bool":
            _replace(tree, node, node.operand)
        elif op == "num":
            node.value = payload
        elif op == "if":
            node.test = ast.Constant(payload)
        elif op == "pq" and isinstance(node, ast.Subscript):
            node.slice = ast.Constant("p")
        elif op == "pq":
            node.attr = "p"
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise IndexError(index)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def mutants_of(module: str) -> list[Mutant]:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    return [Mutant(module, k, getattr(node, "lineno", 0), op, desc) for k, (node, op, desc, _) in enumerate(sites(tree))]


# running ----------------------------------------------------------------------------------------------
def _workspace(base: Path, k: int) -> Path:
    """A private copy of the tree (sources, tests, datasets, config): mutants never touch the real one."""
    work = base / f"w{k}"
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build",
                                    "vectors", "steering", "traitlint-report", "*.egg-info", ".traitlint")
    for name in ("traitlint", "tests", "datasets", "conftest.py", "pyproject.toml"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, work / name)
    return work


def _env(work: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(work) + os.pathsep + env.get("PYTHONPATH", "")
    env["TRAITLINT_CACHE_DIR"] = str(cache)  # a shared feature cache: spaCy parses survive across mutants
    env["HF_HUB_OFFLINE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pytest(work: Path, tests: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, float]:
    present = [t for t in tests if (work / t).exists()]
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
           "--no-header", "-o", "addopts=", "--hypothesis-seed=0", *present]
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return -1, "timeout", time.perf_counter() - started
    return done.returncode, done.stdout[-2000:], time.perf_counter() - started


def run_mutant(mutant: Mutant, work: Path, env: dict[str, str], timeout: float) -> Mutant:
    path = work / mutant.module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(mutate(original, mutant.index), encoding="utf-8")
        check = subprocess.run([sys.executable, "-c", f"import {mutant.module[:-3].replace('/', '.')}"], cwd=work,
                               env=env, capture_output=True, text=True, timeout=120, check=False)
        if check.returncode != 0:
            mutant.status = "incompetent"
            return mutant
        code, out, seconds = _pytest(work, TARGETS[mutant.module], env, timeout)
        mutant.seconds = round(seconds, 1)
        if code == -1:
            mutant.status = "timeout"
        elif code == 0:
            mutant.status = "survived"
        else:
            mutant.status = "killed"
            failed = [line for line in out.splitlines() if line.startswith("FAILED")]
            mutant.killed_by = failed[0][7:120] if failed else f"exit {code}"
    finally:
        path.write_text(original, encoding="utf-8")
    return mutant


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default="", help="comma-separated module paths (default: every target)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="at most N mutants per module (evenly spread)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant's test run")
    parser.add_argument("--out", default=str(ROOT / "build" / "mutation.json"))
    args = parser.parse_args()
    modules = [m.strip() for m in args.modules.split(",") if m.strip()] or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        print(f"no test selection for {', '.join(unknown)} (see TARGETS)", file=sys.stderr)
        return 2
    todo: list[Mutant] = []
    for module in modules:
        found = mutants_of(module)
        if args.limit and len(found) > args.limit:
            step = len(found) / args.limit
            found = [found[int(i * step)] for i in range(args.limit)]
        todo.extend(found)
    base = Path(tempfile.mkdtemp(prefix="traitlint-mutation-"))
    cache = base / "cache"
    workers = [_workspace(base, k) for k in range(max(1, args.jobs))]
    # baseline: the unmutated tests must pass, or every mutant would look killed
    for module in modules:
        code, out, seconds = _pytest(workers[0], TARGETS[module], _env(workers[0], cache), args.timeout * 4)
        if code != 0:
            print(f"the tests for {module} fail without a mutant; fix them first:\n{out}", file=sys.stderr)
            return 2
        print(f"baseline {module}: tests pass in {seconds:.0f} s", flush=True)
    print(f"{len(todo)} mutants in {len(modules)} modules, {len(workers)} workers", flush=True)
    started = time.perf_counter()
    free = list(workers)
    import threading

    lock = threading.Lock()

    def work(mutant: Mutant) -> Mutant:
        with lock:
            space = free.pop()
        try:
            return run_mutant(mutant, space, _env(space, cache), args.timeout)
        finally:
            with lock:
                free.append(space)

    done: list[Mutant] = []
    with ThreadPoolExecutor(len(workers)) as pool:
        for k, mutant in enumerate(pool.map(work, todo), 1):
            done.append(mutant)
            if mutant.status == "survived":
                print(f"  survived {mutant.module}:{mutant.line} {mutant.operator} {mutant.change}", flush=True)
            if k % 25 == 0:
                print(f"  {k}/{len(todo)} done, {time.perf_counter() - started:.0f} s", flush=True)
    shutil.rmtree(base, ignore_errors=True)
    report = summarise(done)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"summary": report, "mutants": [asdict(m) for m in done]}, indent=1) + "\n")
    tmp.replace(out)
    print_report(report)
    print(f"({time.perf_counter() - started:.0f} s; details in {out})")
    return 0


def summarise(done: list[Mutant]) -> dict[str, dict[str, int | float]]:
    per: dict[str, dict[str, int | float]] = {}
    for m in done:
        row = per.setdefault(m.module, {"mutants": 0, "killed": 0, "survived": 0, "timeout": 0, "incompetent": 0})
        row["mutants"] += 1
        row[m.status] += 1
    total = {"mutants": 0, "killed": 0, "survived": 0, "timeout": 0, "incompetent": 0}
    for row in per.values():
        for key in total:
            total[key] += row[key]
    for row in [*per.values(), total]:
        caught = row["killed"] + row["timeout"] + row["incompetent"]
        row["killed_share"] = round(caught / row["mutants"], 3) if row["mutants"] else 0.0
    per["TOTAL"] = total
    return per


def print_report(report: dict[str, dict[str, int | float]]) -> None:
    print(f"{'module':50} {'mutants':>8} {'killed':>7} {'survived':>9} {'killed %':>9}")
    for module, row in report.items():
        print(f"{module:50} {row['mutants']:>8} {row['killed'] + row['timeout'] + row['incompetent']:>7} "
              f"{row['survived']:>9} {row['killed_share']:>9.0%}")


if __name__ == "__main__":
    sys.exit(main())
