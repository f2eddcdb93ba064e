"""PyTorch interoperation: the in-app torch module, code and training-script export, ONNX,
weights files, and import of existing modules. Everything here needs torch."""
