"""Reading run folders back: what a crash or a hand-edited file leaves is read or skipped,
never raised; the comparison of two networks."""

import json

import pytest

from builder import RunFolderError, chain, graph_diff, read_run


def write_run(folder, config, lines):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def epoch(n, accuracy, elapsed=1.0):
    return json.dumps({"type": "EpochMetrics", "epoch": n, "test_accuracy": accuracy, "elapsed": elapsed})


def test_a_run_is_read_with_its_best_and_final_accuracy(tmp_path):
    run = read_run(
        write_run(
            tmp_path / "r",
            {"dataset": "mnist-mini", "lr": 0.01, "epochs": 3},
            [
                epoch(1, 0.8),
                epoch(2, 0.9, 2.5),
                epoch(3, 0.85, 4.0),
                json.dumps({"type": "RunFinished", "status": "completed", "message": "trained 3 epochs"}),
                '{"type": "EpochMet',  # a line cut off by a crash
            ],
        )
    )
    assert (run.status, run.epochs_done, run.best_accuracy, run.final_accuracy) == ("completed", 3, 0.9, 0.85)
    assert run.duration == 4.0 and run.config.lr == 0.01 and not run.has_weights


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "EpochMetrics", "epoch": "x", "test_accuracy": 0.5},
        {"type": "EpochMetrics", "epoch": None, "test_accuracy": 0.5},
        {"type": "EpochMetrics", "epoch": 1, "test_accuracy": "x"},
        {"type": "EpochMetrics", "epoch": 1},
        {"type": "EpochMetrics", "epoch": True, "test_accuracy": 0.5},
        {"type": "RunFinished", "status": ["x"]},
    ],
)
def test_records_that_are_not_what_a_run_writes_are_skipped(tmp_path, bad):
    run = read_run(write_run(tmp_path / "r", {}, [epoch(1, 0.7), json.dumps(bad)]))
    assert run.epochs_done == 1 and run.final_accuracy == 0.7 and run.status == "unfinished"


def test_settings_of_the_wrong_type_read_as_their_defaults_with_a_note(tmp_path):
    run = read_run(
        write_run(
            tmp_path / "r", {"lr": "fast", "seed": "<a href='x'>y</a>", "dataset": 5, "nesterov": "yes"}, []
        )
    )
    assert run.config.lr == 0.001 and run.config.seed == 0 and run.config.dataset == "mnist-mini"
    assert run.config.nesterov is False
    assert "learning rate" in run.message and "default" in run.message


def test_a_folder_that_is_not_a_run_is_refused_by_name(tmp_path):
    with pytest.raises(RunFolderError, match="not a run folder"):
        read_run(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(RunFolderError, match="does not hold training settings"):
        read_run(tmp_path)


def test_the_diff_names_changed_settings_wires_and_a_moved_output():
    before = chain(
        (1, 8, 8),
        ("Conv2d", {"out_channels": 4, "kernel_size": 3}),
        "Flatten",
        ("Linear", {"out_features": 5}),
        ("Linear", {"out_features": 2}),
    )
    after = before.copy()
    after.set_settings("conv1", {"out_channels": 6})
    diff = graph_diff(before, after)
    assert not diff.same and "conv1: out_channels 4 → 6" in diff.lines()
    assert diff.params_after - diff.params_before == (3 * 3 * 1 * 2 + 2) + 2 * 36 * 5
    moved = before.copy()
    moved.output = "fc1"  # the network now ends one layer earlier
    diff = graph_diff(before, moved)
    assert not diff.same and any("output is fc1" in line for line in diff.lines())
    assert diff.params_after == diff.params_before - (5 * 2 + 2)  # fc2 no longer counts
    assert graph_diff(before, before.copy()).same
