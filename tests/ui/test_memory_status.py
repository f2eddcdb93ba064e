"""The training-memory estimate in the status bar and under the Summary follows the Training
panel's batch size and optimizer, and warns when the device has less free memory."""

import builder
from builder import memory_estimate
from ui.window.memory_status import size_text


def expected(window, batch, optimizer, **kwargs):
    graph = window.controller.graph
    return memory_estimate(graph, batch, optimizer, device="cpu", result=window.controller.result, **kwargs)


def settled(qtbot, memory) -> None:
    """The estimate is made in the event loop's next pass after a change: wait for it."""
    qtbot.waitUntil(lambda: not memory.pending)


def test_the_estimate_follows_the_panels_batch_size_and_optimizer(window, qtbot):
    panel, memory = window.training.panel, window.memory
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    settled(qtbot, memory)
    estimate = expected(window, panel.batch.value(), "adam")
    assert f"training ≈ {size_text(estimate.total)} (batch 64, adam)" == memory.label.text()
    assert size_text(estimate.activations) in memory.detail.text()

    panel.batch.setValue(512)
    settled(qtbot, memory)
    bigger = expected(window, 512, "adam")
    assert bigger.activations == 8 * estimate.activations  # activations scale with the batch
    assert memory.label.text().startswith(f"training ≈ {size_text(bigger.total)} (batch 512")

    panel.optimizer.setCurrentText("sgd")
    panel.momentum.setValue(0.0)
    settled(qtbot, memory)
    plain = expected(window, 512, "sgd", momentum=0.0)
    assert plain.optimizer_state == 0 and f"{size_text(plain.total)} (batch 512, sgd)" in memory.label.text()

    window.controller.set_settings("conv1", {"out_channels": 12})  # an edit updates it too
    settled(qtbot, memory)
    assert size_text(expected(window, 512, "sgd", momentum=0.0).total) in memory.label.text()


def test_a_burst_of_edits_is_estimated_once_after_the_canvas_has_them(window, qtbot, monkeypatch):
    """The estimate walks the whole network: edits in a row (a spin box held down) are not
    held up by one estimate each, and the status bar field keeps its place."""
    import ui.window.memory_status as memory_status

    memory = window.memory
    settled(qtbot, memory)
    width = memory.label.width()
    estimates = []
    monkeypatch.setattr(
        memory_status, "memory_estimate", lambda *a, **k: estimates.append(1) or memory_estimate(*a, **k)
    )
    for channels in range(7, 12):
        window.controller.set_settings("conv1", {"out_channels": channels}, mergeable=False)
        assert window.scene.nodes["conv1"].shape_line.startswith(f"→ {channels}×")  # the canvas at once
    settled(qtbot, memory)
    assert len(estimates) == 1
    assert size_text(expected(window, 64, "adam").total) in memory.label.text()
    assert memory.label.width() >= width and memory.label.minimumWidth() == memory.label.maximumWidth()


def test_more_than_the_free_memory_is_a_warning_with_a_batch_that_fits(window, qtbot, monkeypatch):
    panel, memory = window.training.panel, window.memory
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    estimate = expected(window, 64, "adam")
    fixed = estimate.total - estimate.activations
    free = fixed + 10 * (estimate.activations // 64)  # room for the weights and ten samples
    monkeypatch.setattr(builder, "free_memory", lambda _device: free)
    memory.refresh()
    assert memory.over and memory.label.text().endswith("⚠")
    assert "a batch of 10 fits" in memory.detail.text() and "CPU" in memory.detail.text()
    assert "b71c1c" in memory.label.styleSheet()
    panel.batch.setValue(10)
    settled(qtbot, memory)
    assert not memory.over and not memory.label.text().endswith("⚠")


def test_a_network_with_errors_has_no_estimate(window, qtbot):
    window.controller.set_settings("fc1", {"out_features": 7})
    window.controller.connect("input", "fc1")  # two inputs into a one-input block
    settled(qtbot, window.memory)
    assert window.memory.label.text() == ""
    assert "fix the network's errors" in window.memory.detail.text()
