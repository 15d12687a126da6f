"""cudnn_blockers reports every configuration setting that rules out the cuDNN kernel."""

import keras
import pytest

from utils.layers import cudnn_blockers


@pytest.mark.parametrize("layer", [keras.layers.LSTM(4), keras.layers.GRU(4),
                                   keras.layers.Bidirectional(keras.layers.LSTM(4)),
                                   keras.layers.LSTM(4, dropout=0.3)])
def test_default_layers_have_no_blockers(layer):
    assert cudnn_blockers(layer) == []


@pytest.mark.parametrize("layer, reason", [
    (keras.layers.LSTM(4, recurrent_dropout=0.2), "recurrent_dropout is 0.2, not 0"),
    (keras.layers.LSTM(4, activation="relu"), "activation is 'relu', not 'tanh'"),
    (keras.layers.GRU(4, recurrent_activation="hard_sigmoid"), "recurrent_activation is 'hard_sigmoid'"),
    (keras.layers.GRU(4, reset_after=False), "reset_after is False"),
    (keras.layers.LSTM(4, unroll=True), "unroll is True"),
    (keras.layers.LSTM(4, use_bias=False), "use_bias is False"),
    (keras.layers.LSTM(4, use_cudnn=False), "use_cudnn is False"),
    (keras.layers.SimpleRNN(4), "SimpleRNN has no cuDNN kernel"),
    (keras.layers.Bidirectional(keras.layers.GRU(4, recurrent_dropout=0.1)), "recurrent_dropout is 0.1"),
    (keras.layers.Bidirectional(keras.layers.LSTM(4), backward_layer=keras.layers.LSTM(
        4, go_backwards=True, recurrent_dropout=0.1)), "backward layer: recurrent_dropout is 0.1"),
])
def test_each_blocking_condition_is_named(layer, reason):
    reasons = cudnn_blockers(layer)
    assert len(reasons) == 1 and reasons[0].startswith(reason)
