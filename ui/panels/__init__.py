"""The docked panels around the canvas: palette, inspector, summary, problems, training
settings, and the template gallery dialog."""
