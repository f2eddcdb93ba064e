"""The app takes what it shows about a block from the catalog: a new block type in a new
category appears in the palette and on the canvas with no change to `ui`."""

from dataclasses import replace

from PySide6.QtGui import QColor

from builder import CATALOG, CATEGORIES, Category, Graph


def test_a_new_block_type_in_a_new_category_needs_no_ui_change(qtbot, monkeypatch):
    from ui.window.main_window import MainWindow

    monkeypatch.setitem(CATEGORIES, "experimental", Category("experimental", "Experimental", "#123456"))
    wobble = replace(
        CATALOG["ReLU"], type="Wobble", category="experimental", prefix="wobble", card=lambda _s: "wobbles"
    )
    monkeypatch.setitem(CATALOG, "Wobble", wobble)
    graph = Graph(name="Wobbly")
    graph.add_node("Input", {"shape": (1, 28, 28)}, node_id="input")
    graph.add_node("Wobble", pos=(0.0, 130.0), node_id="wobble1")
    graph.connect("input", "wobble1")

    window = MainWindow(graph, load_torch=False)  # the editor alone: no torch needed
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()

    item = window.palette.items["Wobble"]
    assert item.parent().text(0) == "Experimental"
    assert item.parent().foreground(0).color() == QColor("#123456").darker(120)
    card = window.scene.nodes["wobble1"]
    assert card.settings == "wobbles" and card.colour == QColor("#123456")
    assert card.shape_line == "→ 1×28×28"
    window.palette.search.setText("experimental")  # a category's name finds its blocks
    assert window.palette.visible_blocks() == ["Wobble"]
