"""The canvas: block cards, ports and wires in a scene, the view that zooms and pans it, and
the colours and sizes they share."""
