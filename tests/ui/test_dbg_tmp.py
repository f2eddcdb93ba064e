def test_dbg(window, qtbot):
    panel = window.training.panel
    print("panel min", panel.minimumSizeHint())
