"""A network too tall to fit at a readable zoom opens at its start, not somewhere in its middle."""

from builder import load_template


def test_a_long_network_opens_showing_its_input(qtbot):
    from ui.window.main_window import MainWindow

    window = MainWindow(load_template("resnet18"), load_torch=False)
    qtbot.addWidget(window)
    window.resize(1300, 800)
    with qtbot.waitSignal(window.first_painted, timeout=30_000):
        window.show()
    view = window.view

    def input_is_shown() -> bool:
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        return visible.contains(window.scene.nodes["input"].sceneBoundingRect())

    qtbot.waitUntil(input_is_shown, timeout=5_000)
    assert view.zoom >= 0.74  # readable, not fitted to a sliver
    qtbot.waitUntil(lambda: view._pending_centre is None)  # the late re-centring has run
    assert input_is_shown()
