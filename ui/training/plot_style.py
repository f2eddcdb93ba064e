"""pyqtgraph's look for every training plot; each view module imports this before it makes a
plot, so the options hold whichever view is built first."""

import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="#333")
