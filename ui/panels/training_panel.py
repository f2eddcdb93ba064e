"""Training settings and controls: dataset, device, hyperparameters, Train/Pause/Stop.

Imports torch (through builder's training names): it is built only once torch has loaded;
until then the Training dock shows a `TrainingPlaceholder`.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from builder import (
    DATASETS,
    NUM_CLASSES,
    OPTIMIZERS,
    SCHEDULES,
    SHAPES,
    DataWarning,
    DownloadProgress,
    EpochMetrics,
    LrChanged,
    Paused,
    Resumed,
    RunFinished,
    RunStarted,
    RunWarning,
    StepMetrics,
    TrainConfig,
    available_devices,
    check_compatibility,
)

from ..editor.controller import GraphController
from ..training.training_session import TrainingSession

DATASET_TITLES = {
    "mnist-mini": "MNIST subset (bundled)",
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
}
FOLDER = "folder"


class TrainingPanel(QWidget):
    """The Training dock: settings for the next run and the controls of the current one."""

    run_started = Signal(object)  # TrainConfig
    records_arrived = Signal(list)
    run_finished = Signal(object)

    def __init__(self, controller: GraphController, session: TrainingSession, parent=None):
        super().__init__(parent)
        self.controller, self.session = controller, session
        self.folder: str | None = None
        self.total_steps = 1
        self.epochs_total = 1
        defaults = TrainConfig()
        layout = QVBoxLayout(self)
        # the controls and the run's progress first: they stay in view, the settings scroll
        self._build_controls(layout, defaults)
        layout.addWidget(self._build_settings(defaults))
        layout.addStretch(1)

        self.train_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(lambda: self.session.stop(wait=False))
        self.apply_lr.clicked.connect(self._on_apply_lr_clicked)
        self.dataset.currentIndexChanged.connect(self._on_dataset_changed)
        self.optimizer.currentTextChanged.connect(self._update_controls)
        controller.inferred.connect(lambda _r: self._update_controls())
        session.records_arrived.connect(self._on_records)
        session.finished.connect(self._on_finished)
        self._update_controls()

    def _build_settings(self, defaults: TrainConfig) -> QGroupBox:
        self.dataset = QComboBox()
        for name in DATASETS:
            self.dataset.addItem(DATASET_TITLES[name], name)
        self.dataset.addItem("Image folder…", FOLDER)
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        for device, text in available_devices():
            self.device.addItem(text, device)
        self.epochs = QSpinBox(minimum=1, maximum=1000, value=defaults.epochs)
        self.batch = QSpinBox(minimum=1, maximum=65536, value=defaults.batch_size)
        self.lr = QDoubleSpinBox(
            decimals=5, minimum=0.00001, maximum=9.9, singleStep=0.0005, value=defaults.lr
        )
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setCurrentText(defaults.optimizer)
        self.momentum = QDoubleSpinBox(decimals=2, maximum=0.99, singleStep=0.05, value=defaults.momentum)
        self.nesterov = QCheckBox("Nesterov")
        self.weight_decay = QDoubleSpinBox(decimals=5, maximum=1.0, singleStep=0.0001, value=0.0)
        self.schedule = QComboBox()
        self.schedule.addItems(SCHEDULES)
        self.label_smoothing = QDoubleSpinBox(decimals=2, maximum=0.5, singleStep=0.05, value=0.0)
        self.seed = QSpinBox(maximum=2**31 - 1, value=0)
        self.start_from = QCheckBox()  # "Start from the weights of ...": shown when there are some
        self.start_from.setToolTip(
            "Fine-tune: begin with these weights instead of fresh ones; blocks they do not fit start fresh"
        )
        self.start_from.hide()

        settings = QGroupBox("Settings")
        form = QFormLayout(settings)
        # narrow docks (a 1024-pixel screen): labels go above their fields, combos may shrink
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for combo in (self.dataset, self.device, self.optimizer, self.schedule):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        form.addRow("Dataset", self.dataset)
        form.addRow("Device", self.device)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch)
        form.addRow("Learning rate", self.lr)
        form.addRow("Optimizer", self.optimizer)
        momentum_row = QHBoxLayout()
        momentum_row.addWidget(self.momentum)
        momentum_row.addWidget(self.nesterov)
        form.addRow("Momentum (SGD)", momentum_row)
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("LR schedule", self.schedule)
        form.addRow("Label smoothing", self.label_smoothing)
        form.addRow("Seed", self.seed)
        form.addRow(self.start_from)
        return settings

    def _build_controls(self, layout: QVBoxLayout, defaults: TrainConfig) -> None:
        """Train, Pause and Stop, the learning rate during a run, progress and messages."""
        self.reason = QLabel(wordWrap=True)
        self.reason.setStyleSheet("color: #c62828;")
        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        self.new_lr = QDoubleSpinBox(
            decimals=5, minimum=0.00001, maximum=9.9, singleStep=0.0005, value=defaults.lr
        )
        self.apply_lr = QPushButton("Set LR")
        self.apply_lr.setToolTip("Change the running training's learning rate from its next step")
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.new_lr)
        lr_row.addWidget(self.apply_lr)
        self.lr_note = QLabel(wordWrap=True)  # confirms a learning-rate change once the run made it
        self.lr_note.setStyleSheet("color: #2e7d32;")
        self.lr_note.hide()
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress_text = QLabel("Not started")
        self.progress_text.setWordWrap(True)
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QLabel(wordWrap=True)  # what the run goes on without (unreadable images)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)  # it quotes file names
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning.setStyleSheet(
            "color: #8a5a00; background: #fff4e0; border: 1px solid #f0c070; padding: 4px;"
        )
        self.warning.hide()
        self.note = QLabel("Edits made during a run apply to the next run.", wordWrap=True)
        self.note.setStyleSheet("color: #555;")
        self.note.hide()
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        layout.addLayout(lr_row)
        layout.addWidget(self.lr_note)
        for widget in (self.progress, self.progress_text, self.warning, self.message, self.note):
            layout.addWidget(widget)

    # -- settings ------------------------------------------------------------------------

    def config(self) -> TrainConfig:
        dataset = self.folder if self.dataset.currentData() == FOLDER else self.dataset.currentData()
        return TrainConfig(
            dataset=dataset or "mnist-mini",
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            lr=self.lr.value(),
            optimizer=self.optimizer.currentText(),
            momentum=self.momentum.value(),
            nesterov=self.nesterov.isChecked(),
            weight_decay=self.weight_decay.value(),
            schedule=self.schedule.currentText(),
            label_smoothing=self.label_smoothing.value(),
            seed=self.seed.value(),
            device=self.device.currentData(),
        )

    def offer_start_weights(self, source: str | None, checked: bool) -> None:
        """Offer to start the next run from the weights of `source` (None: there are none)."""
        self.start_from.setVisible(source is not None)
        self.start_from.setText(f"Start from the weights of {source}" if source else "")
        self.start_from.setChecked(bool(source) and checked)

    def set_config(self, config: TrainConfig) -> None:
        """Show `config`'s settings (a reopened project's)."""
        index = self.dataset.findData(config.dataset)
        if index < 0 and Path(config.dataset).is_dir():  # an image folder
            self.folder = config.dataset
            index = self.dataset.findData(FOLDER)
            self.dataset.blockSignals(True)  # choosing the folder entry would ask for a folder
            self.dataset.setCurrentIndex(index)
            self.dataset.setItemText(index, f"Folder: {Path(config.dataset).name}")
            self.dataset.blockSignals(False)
        elif index >= 0:
            self.dataset.setCurrentIndex(index)
        device = self.device.findData(config.device)
        self.device.setCurrentIndex(max(device, 0))  # a device this machine lacks: automatic
        self.epochs.setValue(config.epochs)
        self.batch.setValue(config.batch_size)
        self.lr.setValue(config.lr)
        self.optimizer.setCurrentText(config.optimizer)
        self.momentum.setValue(config.momentum)
        self.nesterov.setChecked(config.nesterov)
        self.weight_decay.setValue(config.weight_decay)
        self.schedule.setCurrentText(config.schedule)
        self.label_smoothing.setValue(config.label_smoothing)
        self.seed.setValue(config.seed)
        self._update_controls()

    def problems(self) -> list[str]:
        """Why Train is disabled, each with its fix; empty when it can run."""
        result = self.controller.result
        if not result.valid:
            return [f"The network has {len(result.errors)} error(s); fix them first (see Problems)."]
        name = self.dataset.currentData()
        if name == FOLDER:
            return [] if self.folder else ["Choose the image folder (one sub-folder per class)."]
        issues = check_compatibility(
            self.controller.graph, result, SHAPES[name], NUM_CLASSES[name], DATASET_TITLES[name]
        )
        return [str(i) for i in issues]

    def _on_dataset_changed(self) -> None:
        if self.dataset.currentData() == FOLDER:
            folder = self.ask_folder()
            if folder:
                self.folder = folder
                self.dataset.setItemText(self.dataset.currentIndex(), f"Folder: {Path(folder).name}")
        self._update_controls()

    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)")

    def _update_controls(self) -> None:
        running = self.session.running
        problems = [] if running else self.problems()
        self.reason.setText("\n".join(problems))
        self.reason.setVisible(bool(problems))
        self.train_button.setEnabled(not running and not problems)
        self.train_button.setToolTip("\n".join(problems))
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.apply_lr.setEnabled(running)
        self.momentum.setEnabled(self.optimizer.currentText() == "sgd")
        self.nesterov.setEnabled(self.optimizer.currentText() == "sgd")
        self.note.setVisible(running)

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        if self.session.running or self.problems():
            return
        config = self.config()
        # first: the session hands over what the last run still had to say before this one starts
        self.session.start(self.controller.graph, config)
        self.message.setText("")
        self.lr_note.hide()
        self.warning.setText("")
        self.warning.hide()
        self.progress.setValue(0)
        self.progress_text.setText("Loading the dataset (downloading it if needed)…")
        self.pause_button.setText("Pause")
        self.run_started.emit(config)
        self._update_controls()

    def _on_apply_lr_clicked(self) -> None:
        lr = self.new_lr.value()
        self.session.set_lr(lr)
        self.lr_note.setText(f"learning rate {lr:g} asked for: the run takes it at its next step")
        self.lr_note.setStyleSheet("color: #555;")
        self.lr_note.show()

    def _on_pause_clicked(self) -> None:
        if self.session.control is None:
            return
        if self.session.control.paused:
            self.session.resume()
            self.pause_button.setText("Pause")
        else:
            self.session.pause()
            self.pause_button.setText("Resume")

    def _on_records(self, records: list) -> None:
        for r in records:
            if isinstance(r, RunStarted):
                self.total_steps = max(1, r.total_steps)
                self.epochs_total = self.total_steps // max(1, r.steps_per_epoch)
                self.progress_text.setText(
                    f"Training on {r.device_name}: {r.train_size:,} images, "
                    f"{r.steps_per_epoch} steps per epoch"
                )
            elif isinstance(r, DataWarning | RunWarning):
                shown = self.warning.text()
                self.warning.setText(f"{shown}\n⚠ {r.message}" if shown else f"⚠ {r.message}")
                self.warning.show()
            elif isinstance(r, DownloadProgress):
                megabytes = f"{r.done / 1e6:,.1f}" + (f" of {r.total / 1e6:,.1f}" if r.total else "")
                self.progress_text.setText(
                    f"Downloading {DATASET_TITLES.get(r.dataset, r.dataset)}: {megabytes} MB"
                )
                if r.total:
                    self.progress.setValue(int(100 * r.done / r.total))
            elif isinstance(r, StepMetrics):
                self.progress.setValue(int(100 * r.step / self.total_steps))
                self.progress_text.setText(
                    f"epoch {r.epoch + 1}/{self.epochs_total}  ·  step {r.step:,}/{self.total_steps:,}  ·  "
                    f"loss {r.loss:.4f}  ·  {r.samples_per_sec:,.0f} samples/s"
                )
            elif isinstance(r, EpochMetrics):
                eta = f"ETA {r.eta:,.0f} s" if r.eta > 0 else "last epoch done"
                self.message.setText(
                    f"epoch {r.epoch}: test accuracy {r.test_accuracy:.2%}, "
                    f"train {r.train_accuracy:.2%}  ·  {eta}"
                )
            elif isinstance(r, Paused):
                self.progress_text.setText(self.progress_text.text() + "  ·  paused")
            elif isinstance(r, Resumed):
                self.progress_text.setText(self.progress_text.text().replace("  ·  paused", ""))
            elif isinstance(r, LrChanged):
                self.lr_note.setText(f"✓ learning rate set to {r.lr:g} at step {r.step:,}")
                self.lr_note.setStyleSheet("color: #2e7d32;")
                self.lr_note.show()
        self.records_arrived.emit(records)

    def _on_finished(self, record: RunFinished) -> None:
        colour = (
            "#c62828" if record.status == "failed" else "#2e7d32" if record.status == "completed" else "#555"
        )
        accuracy = f" Test accuracy {record.test_accuracy:.2%}." if record.test_accuracy is not None else ""
        self.message.setText(
            f"<span style='color:{colour}'><b>{record.status.capitalize()}</b>: "
            f"{html.escape(record.message, quote=False)}.{accuracy}</span>"
        )
        if record.status == "completed":
            self.progress.setValue(100)
        self.pause_button.setText("Pause")
        self._update_controls()
        self.run_finished.emit(record)
