"""Loads PyTorch on a background thread once the first window is up.

Importing torch takes seconds (about 2 s, and 1 s more for the torch._dynamo that the first
optimizer pulls in). Done before the window showed, the app looked dead that long, yet the
editor needs none of it: the window comes first, and training and export wait for this.

The loading thread touches no Qt object; a timer on the GUI thread notices when it is done,
so a window closed meanwhile cannot be destroyed under it. The thread is not a daemon: a
quit during loading waits for the import to finish rather than tear torch down half-loaded.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

POLL_MS = 50

_lock = threading.Lock()
_thread: threading.Thread | None = None
_finished = threading.Event()
_failure: str | None = None  # why torch could not be loaded
_pinned = False


def pin_gui_thread() -> None:
    """Keep torch on the GUI thread single-threaded, so training owns the cores.

    With OpenMP, every thread that runs a parallel torch op gets its own team of worker
    threads. Once the GUI thread has a team as well as the training thread, libgomp sees
    more threads than cores and stops spin-waiting between parallel regions, which halved
    training speed here (8k vs 17k samples/s for LeNet-5 on 2 cores). ATen applies its
    thread count to each thread lazily, on that thread's first parallel use, from a global
    that the training thread later raises; `get_num_threads()` forces that first use now.
    Call it on the GUI thread before any torch work there; later calls do nothing.
    """
    global _pinned
    if _pinned:
        return  # a second window must not lower the count a running training thread raised
    import torch

    torch.set_num_threads(1)
    torch.get_num_threads()
    _pinned = True


def _load() -> None:
    global _failure
    try:
        import torch

        # the first optimizer imports torch._dynamo (~1 s, holding the GIL in chunks of over
        # 100 ms); done now, it cannot stall the window while a run is starting
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        # builder's torch side and the plotting library of the training views, so that
        # building the training docks afterwards does not pause the GUI thread on imports
        import pyqtgraph  # noqa: F401

        from builder import NetworkModule, Trainer  # noqa: F401
    except (ImportError, OSError) as e:  # a missing or broken install; editing still works
        _failure = f"{type(e).__name__}: {e}"
    finally:
        _finished.set()


def _start_thread() -> None:
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_load, name="convcanvas-torch-loader")
            _thread.start()


class TorchLoader(QObject):
    """Starts loading torch (once per process) and reports on the GUI thread when it is usable."""

    loaded = Signal()
    failed = Signal(str)  # why torch could not be loaded

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.ready = False
        self.failure: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def loading(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """Begin loading; a later window of the same process finds it done at once."""
        if self.ready or self.failure is not None or self.loading:
            return
        _start_thread()
        self._timer.start()
        self._poll()

    def _poll(self) -> None:
        if not _finished.is_set():
            return
        self._timer.stop()
        if _thread is not None:
            _thread.join()  # setting the event was its last act: this returns at once
        if _failure is not None:
            self.failure = _failure
            self.failed.emit(_failure)
            return
        pin_gui_thread()
        self.ready = True
        self.loaded.emit()
