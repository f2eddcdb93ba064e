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


def test_a_project_with_unusable_training_settings_opens_with_the_defaults(window, tmp_path):
    import json

    from builder import dumps_graph

    data = json.loads(dumps_graph(load_template("lenet5")))
    data["training"] = {"dataset": 5, "nesterov": "yes", "epochs": 3, "lr": "fast"}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(data))
    assert window.files.open_file(path, ask=False)
    panel = window.training.panel
    assert panel.epochs.value() == 3 and panel.config().dataset == "mnist-mini"
    assert panel.config().nesterov is False and panel.lr.value() == 0.001
    message = window.statusBar().currentMessage()
    assert "Training settings" in message and "default" in message
    assert window.windowTitle().startswith("odd.json")
