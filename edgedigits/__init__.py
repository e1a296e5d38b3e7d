"""edgedigits: take a Keras digit classifier to a phone or a microcontroller and prove nothing was lost.

Data flows one way: data -> models -> train -> export -> runtimes -> bench -> report.
Heavy libraries (TensorFlow, ONNX Runtime, LiteRT) are imported lazily inside functions so that
`edgedigits --help` starts in well under a second.
"""

__version__ = "0.1.0"
