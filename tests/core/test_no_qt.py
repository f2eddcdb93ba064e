"""`builder` must import and run with no Qt: the CLI and headless training depend on it."""

import subprocess
import sys


def test_builder_imports_and_runs_without_qt():
    code = (
        "import sys\n"
        "import builder, builder.cli, builder.interop.torch_model, builder.layout, builder.explain\n"
        "from builder import infer, load_template\n"
        "assert infer(load_template('lenet5')).valid\n"
        "assert builder.cli_main(['summary', 'lenet5', '--json']) == 0\n"
        "qt = ('PySide6', 'shiboken6', 'pyqtgraph', 'superqt', 'ui')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_builder_source_never_mentions_qt():
    from pathlib import Path

    import builder

    for path in Path(builder.__file__).parent.rglob("*.py"):
        text = path.read_text()
        for name in ("PySide6", "PyQt", "pyqtgraph", "superqt", "from ui", "import ui"):
            assert name not in text, f"{path.name} mentions {name}"
