"""Facts about Keras recurrent layers that the notebooks check."""

from __future__ import annotations


def cudnn_blockers(layer) -> list[str]:
    """The configuration settings that keep a Keras ``LSTM``/``GRU`` (or a ``Bidirectional`` one) off cuDNN.

    An empty list means the *configuration* allows the fused cuDNN kernel. Whether it is used is decided
    at run time, call by call; it also needs (Keras documentation of ``LSTM`` and ``GRU``):

    - a GPU (on a CPU the layer always runs the generic loop; that is not an error);
    - a mask, if any, that is right-padded (``True`` steps first, then only ``False``), so pad at the end;
    - with TensorFlow, no row of the batch fully masked: an empty sequence raises on the cuDNN path
      (``utils.textclf.EmptyAsUnknown`` guards a text model against it).

    Inside ``fit``/``predict`` (a graph) a mask that breaks these conditions raises; an eager call such as
    ``model(x)`` instead falls back to the generic loop without a word.

    For a ``Bidirectional`` layer both directions are checked (the backward one may be a layer of its own).
    """
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        forward, backward = cudnn_blockers(layer.forward_layer), cudnn_blockers(layer.backward_layer)
        return forward + [f"backward layer: {reason}" for reason in backward if reason not in forward]
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
