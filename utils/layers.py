"""Facts about Keras recurrent layers that the notebooks check."""

from __future__ import annotations


def cudnn_eligible(layer) -> list[str]:
    """Why a Keras ``LSTM``/``GRU`` (or one wrapped in ``Bidirectional``) cannot use the cuDNN kernel.

    An empty list means it can: on a GPU, TensorFlow then runs the fast fused kernel. The conditions
    are those in the Keras documentation of ``LSTM`` and ``GRU``.
    """
    import keras

    layer = getattr(layer, "forward_layer", layer)  # Bidirectional: both directions share the config
    if not isinstance(layer, keras.layers.LSTM | keras.layers.GRU):
        return [f"{type(layer).__name__} has no cuDNN kernel (only LSTM and GRU do)"]
    cell = layer.cell
    reasons = []
    if keras.activations.serialize(cell.activation) != "tanh":
        reasons.append(f"activation is {keras.activations.serialize(cell.activation)!r}, not 'tanh'")
    if keras.activations.serialize(cell.recurrent_activation) != "sigmoid":
        name = keras.activations.serialize(cell.recurrent_activation)
        reasons.append(f"recurrent_activation is {name!r}, not 'sigmoid'")
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout is {cell.recurrent_dropout}, not 0")
    if layer.unroll:
        reasons.append("unroll is True")
    if not cell.use_bias:
        reasons.append("use_bias is False")
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after is False")
    if layer.use_cudnn is False:
        reasons.append("use_cudnn is False")
    return reasons
