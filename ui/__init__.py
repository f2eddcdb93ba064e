"""ConvCanvas's desktop app (PySide6) over the Qt-free core in `builder`.

- `app`, `launcher`: start-up (`convcanvas` is `launcher.main`)
- `window`: the main window, its menus, files (open, save, recent, autosave, recovery) and the
  wiring of the training docks
- `editor`: the controller that owns every edit, and its undoable commands
- `canvas`: block cards, ports and wires, the scene and the view, shared colours and sizes
- `panels`: palette, inspector, summary, problems, training settings, template gallery
- `training`: torch loading, the training session, and the views of a run
"""
