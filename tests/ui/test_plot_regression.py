"""PySide6 6.12.0 aborted Python 3.11 under pyqtgraph ("none_dealloc"); keep a plot busy."""

import numpy as np
import pyqtgraph as pg


def test_plot_survives_ten_thousand_updates(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    curve = widget.plot(pen="b")
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    image = pg.ImageItem()
    widget.addItem(image)
    ys = np.zeros(0)
    for i in range(10_000):
        ys = np.append(ys, np.sin(i / 50))
        curve.setData(ys)
        if i % 500 == 0:
            image.setImage(np.random.rand(8, 8), autoLevels=True)
            qtbot.wait(1)
    _x, y = curve.getData()
    assert len(ys) == 10_000 and y is not None and len(y) > 0
