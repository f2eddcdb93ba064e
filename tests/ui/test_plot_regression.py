"""PySide6 6.12.0 aborted Python 3.11 under pyqtgraph ("none_dealloc"); keep a plot busy."""

import numpy as np
import pyqtgraph as pg


def test_plot_survives_ten_thousand_updates(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    with qtbot.waitExposed(widget):
        widget.show()
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
            widget.grab()  # paint now, synchronously: the crash came while drawing
    widget.grab()
    # what the plot holds, not what this test built: every point, the last one last
    x, y = curve.getOriginalDataset()
    assert len(x) == len(y) == 10_000
    assert y[-1] == np.sin(9_999 / 50) and x[-1] == 9_999
    assert image.image.shape == (8, 8)
    _x, shown_y = curve.getData()  # clipped to the view and downsampled for drawing
    assert shown_y is not None and 0 < len(shown_y) <= 10_000
