"""Each training setting changes what it should: tests that fail if the engine ignores one."""

from dataclasses import replace

import torch

from builder import Dataset, EpochMetrics, StepMetrics, TrainConfig, Trainer, chain

CONFIG = TrainConfig(epochs=1, batch_size=32, lr=0.05, optimizer="sgd", device="cpu", report_interval=0.0)


def synthetic(test_label: int | None = None) -> Dataset:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (192, 1, 8, 8), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 4, (192,), generator=generator)
    test_labels = labels[:64].clone() if test_label is None else torch.full((64,), test_label)
    return Dataset(
        "synthetic", images, labels, images[:64], test_labels, ("a", "b", "c", "d"), (0.5,), (0.25,)
    )


def net():
    return chain(
        (1, 8, 8), "Flatten", ("Linear", {"out_features": 16}), "ReLU", ("Linear", {"out_features": 4})
    )


def run(config: TrainConfig, dataset: Dataset | None = None) -> tuple[list, Trainer]:
    trainer = Trainer(net(), config, dataset=dataset or synthetic())
    return list(trainer.run()), trainer


def first_loss(records) -> float:
    return next(r for r in records if isinstance(r, StepMetrics)).loss


def test_label_smoothing_changes_the_loss():
    plain, _ = run(CONFIG)
    smoothed, _ = run(replace(CONFIG, label_smoothing=0.4))
    assert abs(first_loss(plain) - first_loss(smoothed)) > 1e-3


def test_weight_decay_shrinks_the_weights():
    _, plain = run(CONFIG)
    _, decayed = run(replace(CONFIG, weight_decay=0.5))
    norm = lambda t: t.model.state_dict()["fc1.weight"].norm().item()
    assert norm(decayed) < norm(plain) * 0.99


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not():
    a, _ = run(CONFIG)
    b, _ = run(CONFIG)
    c, _ = run(replace(CONFIG, seed=1))
    assert first_loss(a) == first_loss(b) != first_loss(c)


def test_confusion_rows_are_true_classes_and_columns_predictions():
    records, _ = run(CONFIG, synthetic(test_label=2))
    confusion = next(r for r in records if isinstance(r, EpochMetrics)).confusion
    assert sum(confusion[2]) == 64  # every test image is truly class 2
    assert all(sum(row) == 0 for k, row in enumerate(confusion) if k != 2)
