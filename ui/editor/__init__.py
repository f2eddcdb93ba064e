"""Editing the graph: the controller that owns every change and its undoable commands."""
