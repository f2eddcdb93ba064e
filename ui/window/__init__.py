"""The main window and what it is made of: menus and toolbar, files (open, save, recent,
autosave and recovery) and the wiring of the training docks."""
