"""Training in the app: PyTorch loaded off the GUI thread, the session that runs the engine on
a worker thread, and the views of a run (curves, confusion matrix, filters, feature maps).

Only `torch_loader` may be imported at start-up; the other modules load torch and are
imported once it has loaded.
"""
