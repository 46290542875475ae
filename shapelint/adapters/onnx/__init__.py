"""ONNX models: the only modules that import onnx or onnxruntime."""
