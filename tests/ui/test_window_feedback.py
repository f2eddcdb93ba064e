"""What the window says and does around an edit, as found by walking it as a user: counts that
a network with errors cannot total, a canvas that does not jump, text that is not cut off,
Quit for every window, a question that names its network."""

import subprocess
import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QMessageBox

from builder import load_template
from ui.panels.summary_table import SHARE


def shares(window) -> list[str]:
    model = window.summary.model_
    return [model.index(row, SHARE).data() for row in range(model.rowCount())]


def test_a_network_with_errors_says_its_totals_stop_at_the_error(window):
    assert "61,706 parameters  ·  0.4M MACs  ·  valid" in window.status.text()
    assert "0.3%" in shares(window)  # conv1's share of LeNet-5's parameters
    window.controller.set_settings("conv2", {"kernel_size": 15})  # 14x14 input: it breaks here
    assert not window.controller.result.valid
    assert "parameters and" in window.status.text() and "MACs before the errors" in window.status.text()
    assert set(shares(window)) == {""}  # no share of a total that the blocks after conv2 miss
    window.controller.undo_stack.undo()
    assert "61,706 parameters  ·" in window.status.text() and "0.3%" in shares(window)


def test_selecting_a_block_in_view_leaves_the_canvas_where_it_is(window, qtbot):
    view = window.view
    card = window.scene.nodes["conv1"].sceneBoundingRect()
    view.centerOn(card.center() + QPointF(0, 50))  # in view, not in the middle
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(card)
    before = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    window.select_node("conv1")  # in view: no jump
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == before
    view.zoom_by(4.0)
    view.centerOn(window.scene.nodes["input"])
    window.select_node("fc2")  # out of view: brought to the middle
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    card = window.scene.nodes["fc2"].sceneBoundingRect()
    assert (shown.center() - card.center()).manhattanLength() < 3


def test_a_card_too_narrow_for_its_parameter_count_keeps_the_shape_whole(window):
    window.controller.set_settings("conv1", {"out_channels": 256})
    card = window.scene.nodes["conv1"]
    assert card.shape_line == "→ 256×28×28 · 6.7K params"
    metrics = QFontMetricsF(window.scene.fonts["body"])
    wide = metrics.horizontalAdvance(card.shape_line)
    assert card.shown_shape_line(metrics, wide) == card.shape_line
    assert card.shown_shape_line(metrics, wide - 1) == "→ 256×28×28"


def test_quit_closes_every_window_and_each_question_names_its_network(qtbot, monkeypatch):
    from ui.window.main_window import open_window

    # not the `window` fixture: Quit deletes every window, and qtbot would close it again
    windows = [open_window(load_template("lenet5")), open_window(load_template("vgg16"))]
    for win in windows:
        win.show()
    changed = windows[1]
    changed.controller.set_settings("input", {"shape": (3, 64, 64)})
    asked = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    closed = []
    for win in windows:
        win.destroyed.connect(lambda *_, win=win: closed.append(win))
    windows[0].menu_actions.quit_action.trigger()
    qtbot.waitUntil(lambda: len(closed) == 2)
    assert len(asked) == 1 and f"{changed.controller.graph.name} (never saved)" in asked[0]


def test_the_import_dialog_takes_typing_in_its_filter_at_once(qtbot):
    from ui.panels.import_dialog import ImportDialog

    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    assert dialog.focusWidget() is dialog.filter_edit


def test_python_dash_m_ui_runs_the_launcher():
    done = subprocess.run([sys.executable, "-m", "ui", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage: convcanvas" in done.stdout


def test_a_problem_is_shown_whole_wrapped_to_the_panels_width(window, qtbot):
    window.controller.set_settings("conv2", {"kernel_size": 15})
    problems = window.problems
    item = problems.topLevelItem(0)
    assert "15" in item.text(2)  # the kernel the message is about
    heights = {}
    for width in (420, 1400):
        problems.resize(width, 300)
        qtbot.waitUntil(lambda width=width: problems.width() == width)
        QApplication.processEvents()
        heights[width] = problems.visualItemRect(item).height()
    line = problems.fontMetrics().lineSpacing()
    assert heights[420] >= 3 * line > heights[1400]  # wrapped when narrow, not cut off


def test_several_selected_blocks_are_named_in_the_inspector(window):
    for node_id in ("conv1", "tanh1", "avgpool1"):
        window.scene.nodes[node_id].setSelected(True)
    header = window.inspector.header.text()
    assert "3 blocks selected" in header and "conv1, tanh1, avgpool1" in header
    assert "156 parameters in all" in header  # conv1's 6x1x5x5 + 6
    window.scene.clearSelection()
    assert "No block selected" in window.inspector.header.text()


def test_the_overview_takes_a_small_share_of_a_small_canvas(window, qtbot):
    view = window.view
    minimap, canvas = view.minimap, view.viewport()
    view.zoom_by(3.0)  # LeNet-5 taller than the canvas: the overview is shown

    def fitted() -> bool:
        return (
            minimap.isVisible()
            and minimap.width() == min(150, canvas.width() // 4)
            and minimap.height() == min(200, canvas.height() // 3)
        )

    for size in ((1500, 920), (800, 600)):
        window.resize(*size)
        qtbot.waitUntil(fitted)
        assert canvas.geometry().contains(minimap.geometry())
