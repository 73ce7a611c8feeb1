"""The ``keras.applications.resnet50`` path: ResNet50 and its preprocessing."""

from ketorch.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
