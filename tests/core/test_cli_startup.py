"""The command line starts light: `summary`, `templates` and every `--help` import no torch.

Each case runs in a fresh interpreter, twice: through `python -m builder` (with `-X importtime`,
whose report names every module imported) and through `cli_main` in `-c` code that then looks at
`sys.modules`. Importing torch takes seconds and hundreds of MiB; these tests fail when a command
module, or something it imports at module level, pulls it in again.
"""

import json
import subprocess
import sys

import pytest

from builder.cli import COMMANDS, subcommands

LIGHT = [
    ["--help"],
    ["summary", "lenet5"],
    ["summary", "lenet5", "--json"],
    ["summary", "--help"],
    ["templates"],
    ["templates", "--help"],
    ["export", "--help"],
    ["import", "--help"],
]

IN_PROCESS = """
import json, sys
from builder.cli import cli_main
try:
    code = cli_main(sys.argv[1:])
except SystemExit as e:  # argparse ends --help this way
    code = e.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_via_main(argv: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `python -X importtime -m builder ARGV`; the process and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "builder", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, modules


def imported_in_process(argv: list[str]) -> tuple[int, set[str]]:
    """Run `cli_main(ARGV)` in `-c` code; its exit status and `sys.modules` afterwards."""
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    return report["code"], set(report["modules"])


def torch_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] == "torch")


@pytest.mark.parametrize("argv", LIGHT, ids=" ".join)
def test_light_commands_via_python_m_builder_import_no_torch(argv):
    done, modules = imported_via_main(argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "builder.cli.main" in modules  # the importtime report was read
    assert not torch_modules(modules), f"convcanvas {' '.join(argv)} imported torch"


@pytest.mark.parametrize("argv", LIGHT, ids=" ".join)
def test_light_commands_via_cli_main_import_no_torch(argv):
    code, modules = imported_in_process(argv)
    assert code == 0
    assert "torch" not in modules, f"cli_main({argv}) imported torch"


def test_top_level_help_imports_no_command_module():
    code, modules = imported_in_process(["--help"])
    assert code == 0
    assert not {c.module for c in COMMANDS.values()} & modules


def test_a_command_imports_only_its_own_module():
    code, modules = imported_in_process(["summary", "--help"])
    assert code == 0
    loaded = {c.module for c in COMMANDS.values()} & modules
    assert loaded == {"builder.cli.summary"}


def test_train_help_imports_no_torch():
    code, modules = imported_in_process(["train", "--help"])
    assert code == 0
    assert not torch_modules(modules)


def test_subcommands_lists_the_table_without_importing_commands():
    code = (
        "import sys\n"
        "from builder.cli import COMMANDS, subcommands\n"
        "assert subcommands() == list(COMMANDS)\n"
        "assert not [c.module for c in COMMANDS.values() if c.module in sys.modules]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert subcommands() == ["summary", "templates", "export", "import", "train"]


def test_python_m_builder_cli_runs_a_command():
    done = subprocess.run(
        [sys.executable, "-m", "builder.cli", "train", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: convcanvas train")
