"""Text from a project file never becomes code in an exported file."""

import ast
import subprocess
import sys

import pytest

from builder import chain, export_python, is_valid_id

HOSTILE = [
    'x"""; open("PWNED", "w").write("1")#',
    "x'''; open('PWNED', 'w').write('1')#",
    'ends with a quote"',
    "a \\N{name} and \\u12 escape",
    "back\\slash at the end\\",
    "new\nline and \x1b[31m escape",
    "tab\tand \x00 null",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_names_and_descriptions_are_escaped_in_exported_code(tmp_path, text):
    graph = chain((1, 8, 8), "Flatten", ("Linear", {"out_features": 3}), name=text)
    graph.description = text
    source = export_python(graph)
    tree = ast.parse(source)  # compiles
    assert text.split("\n")[0] in ast.get_docstring(tree, clean=False)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert ast.get_docstring(classes[0], clean=False) is not None
    path = tmp_path / "exported.py"
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("node_id", ["conv1\n", "conv1 ", "con-v1", "_conv", "class", "forward", "c" * 101])
def test_ids_that_cannot_name_a_module_are_refused(node_id):
    assert not is_valid_id(node_id)
    graph = chain((1, 8, 8))
    with pytest.raises(ValueError):
        graph.add_node("ReLU", node_id=node_id)


def test_usual_ids_are_accepted():
    assert not is_valid_id("")
    assert all(is_valid_id(i) for i in ("conv1", "layer1_0_conv1", "Block", "x1"))
