"""File > Import: the dialog's choices, the import in the background, the new window with its
weights, what training, export and saving do with them, and refusals shown, not raised."""

import textwrap

import pytest
import torch
from PySide6.QtWidgets import QMessageBox

from builder import TORCHVISION_CNNS, build_model, infer, load_weights
from ui.panels.import_dialog import ImportDialog, parse_shape_text
from ui.window import main_window


def models_listed(dialog):
    tree = dialog.model_tree
    return {
        tree.topLevelItem(i).child(j).text(0): tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
    }


def test_the_dialog_lists_every_torchvision_cnn_with_its_parameters_and_filters_them(qtbot):
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    listed = models_listed(dialog)
    assert set(listed) == set(TORCHVISION_CNNS) and len(listed) == 68
    assert listed["resnet18"].text(1) == "11.7 M" and listed["alexnet"].text(1) == "61.1 M"
    assert not dialog.import_button.isEnabled()  # nothing chosen yet

    qtbot.keyClicks(dialog.filter_edit, "mobile")
    shown = {name for name, item in models_listed(dialog).items() if not item.isHidden()}
    assert shown == {"mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"}

    dialog.choose_model("inception_v3")
    assert dialog.shape_edit.text() == "3, 299, 299"  # the size its weights were trained at
    assert dialog.request() == ("torchvision:inception_v3", (3, 299, 299))
    dialog.shape_edit.setText("3, 0, 299")
    assert dialog.request() is None and not dialog.import_button.isEnabled()
    assert "positive whole numbers" in dialog.problem.text()


def test_the_python_tab_lists_the_files_classes_without_running_it(qtbot, tmp_path):
    source = tmp_path / "nets.py"
    source.write_text("raise SystemExit('ran')\nclass Small: pass\nclass Other: pass\n")
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(1)
    dialog.python_path.setText(str(source))
    dialog.python_path.editingFinished.emit()
    assert [dialog.class_combo.itemText(i) for i in range(dialog.class_combo.count())] == ["Small", "Other"]
    assert dialog.request() == (f"{source}:Small", (3, 224, 224))

    source.write_text("class (:\n")
    dialog.python_path.editingFinished.emit()
    assert "not valid Python" in dialog.problem.text() and not dialog.import_button.isEnabled()


def test_parse_shape_text_reads_the_ways_people_write_a_shape():
    assert parse_shape_text("3, 224, 224") == parse_shape_text("3x224x224") == (3, 224, 224)
    assert parse_shape_text("3 32 32") == (3, 32, 32)
    for bad in ("3,224", "a,b,c", "3,-1,4", ""):
        assert parse_shape_text(bad) is None


@pytest.fixture(autouse=True)
def close_opened_windows(qapp):
    """Windows an import opens delete themselves on close; close any a test leaves open."""
    yield
    for opened in list(main_window._open_windows):
        opened.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        opened.close()
    qapp.processEvents()


def wait_for_new_window(qtbot, before):
    qtbot.waitUntil(lambda: len(main_window._open_windows) > len(before), timeout=60_000)
    (opened,) = main_window._open_windows - before
    opened.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    return opened


def test_an_imported_resnet_opens_in_a_new_window_with_its_weights(window, qtbot, tmp_path):
    before = set(main_window._open_windows)
    window.imports.start("torchvision:resnet18", None)
    opened = wait_for_new_window(qtbot, before)
    graph = opened.controller.graph
    assert graph.name == "resnet18" and len(graph.nodes) == 70
    assert opened.start_weights.source == "torchvision resnet18"
    state = opened.start_weights.state()
    assert len(state) == 122  # every parameter and buffer of torchvision's resnet18
    # an import is a new, unsaved document: the title says so and closing asks
    assert opened.isWindowModified() and "(unsaved)" in opened.windowTitle()
    assert window.controller.graph.name == "LeNet-5"  # the first window keeps its network
    qtbot.waitUntil(lambda: opened.training.is_ready, timeout=60_000)

    # the weights are what training starts from
    assert opened.training.session.start_weights() is opened.start_weights

    # export carries them: the exported weights are exactly the imported ones
    target = tmp_path / "resnet18.safetensors"
    opened.files.last_dir = lambda: tmp_path
    from PySide6.QtWidgets import QFileDialog

    original = QFileDialog.getSaveFileName
    QFileDialog.getSaveFileName = staticmethod(lambda *_a, **_k: (str(target), ""))
    try:
        opened.files.export("weights")
    finally:
        QFileDialog.getSaveFileName = original
    exported = load_weights(target)
    assert exported.keys() == state.keys()
    assert all(torch.equal(exported[k], state[k]) for k in state)
    assert "with the weights of torchvision resnet18" in opened.statusBar().currentMessage()

    # saving writes them beside the network, and opening the network finds them there
    saved = tmp_path / "net.json"
    assert opened.files.write(saved)
    assert (tmp_path / "net.safetensors").is_file() and not opened.isWindowModified()
    opened.files.open_file(saved, ask=False)
    again = opened.start_weights.state()
    assert all(torch.equal(again[k], state[k]) for k in state)
    model = build_model(opened.controller.graph, infer(opened.controller.graph))
    model.load_state_dict(again)  # strict: every tensor has its place
    opened.close()
    qtbot.waitUntil(lambda: opened not in main_window._open_windows)


def test_a_module_that_cannot_be_imported_is_refused_in_a_message(window, qtbot, tmp_path, monkeypatch):
    source = tmp_path / "odd.py"
    source.write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            class Odd(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(3, 4, 3)

                def forward(self, x):
                    return torch.fft.fft2(self.conv(x)).real
            """
        )
    )
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append((title, text)))
    before = set(main_window._open_windows)
    window.imports.start(f"{source}:Odd", (3, 16, 16))
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    ((title, text),) = shown
    assert title == "Cannot import" and "fft2" in text and "odd.py" in text
    assert main_window._open_windows == before  # nothing opened


@pytest.mark.parametrize("spec", ["torchvision:resnet17", "nowhere.py:Net"])
def test_a_source_that_does_not_exist_is_refused_in_a_message(window, qtbot, monkeypatch, spec):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append(text))
    window.imports.start(spec, (3, 32, 32))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert ("resnet17" in shown[0] and "resnet18" in shown[0]) or "no such file" in shown[0]


def test_file_import_is_in_the_menu_with_its_shortcut(window):
    action = window.menu_actions.import_action
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+I"
    assert action in window.menuBar().actions()[0].menu().actions()
