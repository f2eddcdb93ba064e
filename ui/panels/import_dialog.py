"""File > Import: choose an existing model to open on the canvas with its weights.

Three sources, one tab each: a torchvision CNN by name (with its parameter count), an
`nn.Module` class in a Python file, or an ONNX file. The dialog only chooses; the window
runs the import (`builder.import_model`) on a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from builder import ConvCanvasError, ZooModel, module_classes, torchvision_cnns

TORCHVISION, PYTHON, ONNX = range(3)


def _millions(count: int) -> str:
    return f"{count / 1e6:.1f} M"


def parse_shape_text(text: str) -> tuple[int, int, int] | None:
    """(C, H, W) from "3, 224, 224" or "3x224x224"; None if it is not three positive integers."""
    parts = [p for p in text.replace("x", ",").replace("×", ",").replace(" ", ",").split(",") if p]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        return None
    if len(values) != 3 or not all(0 < v <= 4096 for v in values):
        return None
    return values[0], values[1], values[2]


class ImportDialog(QDialog):
    """Choose what to import; `request()` gives ``(spec, input_shape)`` for `import_model`."""

    def __init__(self, parent=None, start_dir: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import a model")
        self.start_dir = start_dir or Path.home()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._torchvision_tab(), "torchvision")
        self.tabs.addTab(self._python_tab(), "Python file")
        self.tabs.addTab(self._onnx_tab(), "ONNX file")
        self.shape_edit = QLineEdit("3, 224, 224")
        self.shape_edit.setToolTip("channels, height, width of one input image")
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # it quotes paths and error text
        self.problem.setStyleSheet("color: #c62828")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.buttons.accepted.connect(self._accept_if_complete)
        self.buttons.rejected.connect(self.reject)
        shape_row = QFormLayout()
        shape_row.addRow("Input shape (C, H, W):", self.shape_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(shape_row)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.tabs.currentChanged.connect(self._update)
        self.shape_edit.textChanged.connect(self._update)
        self.resize(620, 560)
        self._update()
        self.filter_edit.setFocus()  # typing a model's name finds it at once

    # -- tabs ----------------------------------------------------------------------------

    def _torchvision_tab(self) -> QWidget:
        tab = QWidget()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter, e.g. resnet or mobile")
        self.filter_edit.setClearButtonEnabled(True)
        self.model_tree = QTreeWidget()
        self.model_tree.setHeaderLabels(["Model", "Parameters", "Input"])
        self.model_tree.setRootIsDecorated(True)
        self.model_tree.setColumnWidth(0, 260)
        self.models: dict[str, ZooModel] = {}
        families: dict[str, QTreeWidgetItem] = {}
        for model in torchvision_cnns():
            self.models[model.name] = model
            family = families.get(model.family)
            if family is None:
                family = families[model.family] = QTreeWidgetItem(self.model_tree, [model.family])
                family.setFlags(Qt.ItemFlag.ItemIsEnabled)
                family.setExpanded(True)
            item = QTreeWidgetItem(
                family, [model.name, _millions(model.parameters), "×".join(map(str, model.input_shape))]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, model.name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.model_tree.currentItemChanged.connect(self._on_model_chosen)
        self.model_tree.itemDoubleClicked.connect(lambda item, _col: self._double_clicked(item))
        self.filter_edit.textChanged.connect(self._filter_models)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.model_tree)
        note = QLabel("Random weights: the architecture is imported, nothing is downloaded.")
        note.setWordWrap(True)
        layout.addWidget(note)
        return tab

    def _python_tab(self) -> QWidget:
        tab = QWidget()
        self.python_path = QLineEdit()
        self.python_path.setPlaceholderText("path/to/model.py")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_python)
        self.class_combo = QComboBox()
        self.python_path.editingFinished.connect(self._read_classes)
        row = QHBoxLayout()
        row.addWidget(self.python_path)
        row.addWidget(browse)
        form = QFormLayout(tab)
        form.addRow("File:", row)
        form.addRow("nn.Module class:", self.class_combo)
        warning = QLabel(
            "Importing runs the file's code (it creates the class with no arguments): "
            "import only files you trust."
        )
        warning.setWordWrap(True)
        form.addRow(warning)
        self.class_combo.currentIndexChanged.connect(self._update)
        return tab

    def _onnx_tab(self) -> QWidget:
        tab = QWidget()
        self.onnx_path = QLineEdit()
        self.onnx_path.setPlaceholderText("path/to/model.onnx")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_onnx)
        self.onnx_path.textChanged.connect(self._update)
        row = QHBoxLayout()
        row.addWidget(self.onnx_path)
        row.addWidget(browse)
        form = QFormLayout(tab)
        form.addRow("File:", row)
        note = QLabel("The weights come with the file; so does the input shape.")
        note.setWordWrap(True)
        form.addRow(note)
        return tab

    # -- choosing -------------------------------------------------------------------------

    def choose_model(self, name: str) -> None:
        """Select a torchvision model by name (also how tests drive the dialog)."""
        self.tabs.setCurrentIndex(TORCHVISION)
        for i in range(self.model_tree.topLevelItemCount()):
            family = self.model_tree.topLevelItem(i)
            for j in range(family.childCount()):
                item = family.child(j)
                if item.data(0, Qt.ItemDataRole.UserRole) == name:
                    self.model_tree.setCurrentItem(item)
                    return
        raise KeyError(name)

    def _on_model_chosen(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if name in self.models:
            self.shape_edit.setText(", ".join(map(str, self.models[name].input_shape)))
        self._update()

    def _double_clicked(self, item: QTreeWidgetItem) -> None:
        if item.data(0, Qt.ItemDataRole.UserRole):
            self._accept_if_complete()

    def _filter_models(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.model_tree.topLevelItemCount()):
            family = self.model_tree.topLevelItem(i)
            shown = 0
            for j in range(family.childCount()):
                item = family.child(j)
                haystack = f"{item.text(0)} {family.text(0)}".lower()
                hide = not all(w in haystack for w in words)
                item.setHidden(hide)
                shown += not hide
            family.setHidden(shown == 0)

    def _browse_python(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file", str(self.start_dir), "Python (*.py)")
        if path:
            self.python_path.setText(path)
            self._read_classes()

    def _browse_onnx(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ONNX file", str(self.start_dir), "ONNX (*.onnx)")
        if path:
            self.onnx_path.setText(path)

    def _read_classes(self) -> None:
        self.class_combo.clear()
        path = self.python_path.text().strip()
        if not path:
            self._update()
            return
        try:
            names = module_classes(path)
        except ConvCanvasError as e:
            self.problem.setText(str(e))
            self.import_button.setEnabled(False)
            return
        self.class_combo.addItems(names)
        self._update()

    # -- the result -----------------------------------------------------------------------

    def request(self) -> tuple[str, tuple[int, int, int] | None] | None:
        """``(spec, input_shape)`` for `import_model`, or None while the choice is incomplete."""
        return self._request_and_problem()[0]

    def _request_and_problem(self) -> tuple[tuple[str, tuple[int, int, int] | None] | None, str]:
        tab = self.tabs.currentIndex()
        if tab == ONNX:
            path = self.onnx_path.text().strip()
            if not path:
                return None, ""
            if not Path(path).is_file():
                return None, f"{path}: no such file"
            return (path, None), ""
        shape = parse_shape_text(self.shape_edit.text())
        if shape is None:
            return None, "The input shape needs three positive whole numbers: channels, height, width."
        if tab == TORCHVISION:
            item = self.model_tree.currentItem()
            name = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
            return ((f"torchvision:{name}", shape), "") if name else (None, "")
        path, cls = self.python_path.text().strip(), self.class_combo.currentText()
        if not path or not cls:
            return None, "" if not path else f"{Path(path).name} defines no class"
        return (f"{path}:{cls}", shape), ""

    def _update(self, *_args) -> None:
        self.shape_edit.setEnabled(self.tabs.currentIndex() != ONNX)
        request, problem = self._request_and_problem()
        self.problem.setText(problem)
        self.import_button.setEnabled(request is not None)

    def _accept_if_complete(self) -> None:
        if self.request() is not None:
            self.accept()
