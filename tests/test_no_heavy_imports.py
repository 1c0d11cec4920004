"""Linting never imports torch or transformers (nor does loading the plugin or the CLI)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


def test_a_full_lint_imports_neither_torch_nor_transformers():
    code = (
        "import sys\n"
        "from traitlint.cli import main\n"
        # -j 1: the audits run in this process, where sys.modules below can see what they import
        f"rc = main(['check', '--no-cache', '-j', '1', '--format', 'json', {str(DATASETS)!r}])\n"
        "import traitlint.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
        "print('HEAVY', heavy, 'RC', rc, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "HEAVY [] RC 0" in done.stderr, done.stderr[-2000:]


def test_importing_the_plugin_and_cli_is_cheap():
    """The plugin loads in every pytest run of any project with traitlint installed."""
    code = ("import sys, traitlint.pytest_plugin, traitlint.cli\n"
            "print(sorted(m for m in ('spacy', 'sklearn', 'scipy', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_pytest_run_with_model_items_collected_but_off_imports_no_torch(tmp_path):
    """Without --traitlint-model the TL4xx items are collected and skipped: nothing model-side loads."""
    code = (
        "import sys, pytest\n"
        f"rc = pytest.main(['-q', '-p', 'no:randomly', '-p', 'no:cacheprovider', '--traitlint-no-cache', "
        f"'--traitlint-select', 'TL004,TL4', {str(DATASETS / 'traits' / 'style')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'openai'))\n"
        "print('HEAVY', heavy, 'RC', int(rc), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "HEAVY [] RC 0" in done.stderr, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed, 5 skipped" in done.stdout, done.stdout[-2000:]


#: What `traitlint audits` and `traitlint explain` must not import: they only read the audit table,
#: and these cost from 0.4 s (scipy.stats) to seconds (torch) at start-up.
LISTING_FORBIDDEN = ("spacy", "thinc", "torch", "transformers", "scipy", "sklearn")


def _modules_after(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the LISTING_FORBIDDEN modules it left imported."""
    probe = (f"{code}\nimport sys\n"
             f"print('LOADED', sorted(m for m in {LISTING_FORBIDDEN!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    line = next((l for l in done.stdout.splitlines() if l.startswith("LOADED ")), None)
    assert line is not None and done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return ast.literal_eval(line[len("LOADED "):])


def test_listing_and_explaining_audits_import_no_heavy_module():
    """`traitlint audits` / `traitlint explain` answer in well under a second (they took 1.1 s)."""
    quiet = "import contextlib, io\nfrom traitlint.cli import main\n"
    for command in (["audits"], ["audits", "--format", "json"], ["explain", "TL101"], ["explain", "TL306"]):
        code = quiet + f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main({command!r}) == 0\n"
        assert _modules_after(code) == [], command


def test_the_listing_probe_sees_heavy_imports():
    """The check above can fail: the same probe reports spaCy (and torch, when installed) once imported."""
    import importlib.util

    assert "spacy" in _modules_after("import spacy")
    if importlib.util.find_spec("torch") is not None:
        assert "torch" in _modules_after("import torch")
    assert "scipy" in _modules_after("from traitlint.nlp import stats\nstats.sign_test(3, 1)")
