"""Linting never imports torch or transformers (nor does loading the plugin or the CLI)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


def test_a_full_lint_imports_neither_torch_nor_transformers():
    code = (
        "import sys\n"
        "from traitlint.cli import main\n"
        f"rc = main(['check', '--no-cache', '--format', 'json', {str(DATASETS)!r}])\n"
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
