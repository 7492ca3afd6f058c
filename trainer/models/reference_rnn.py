"""The chapter's recurrent layers as plain NumPy loops (DLwP 6.2, listings 6.19-6.21 and 6.25).

The book explains an RNN as a for loop over timesteps carrying a state,

    output_t = tanh(W · input_t + U · state_t + b),    state_{t+1} = output_t,

and an LSTM as the same loop with a carry track c_t and three gates. These functions are that
loop, written for reading, and they take the weights of trained Keras layers, so a test can
check the explanation against the layers the zoo trains (tests/unit/test_reference_rnn.py).
They are not used for training or serving.

Keras stores the kernels transposed relative to the book's `W · x`: `kernel` is
[input_features, units] and `recurrent_kernel` [units, units], so `W · x` is `x @ kernel`.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simple_rnn(inputs: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
               bias: np.ndarray) -> np.ndarray:
    """Outputs of a SimpleRNN (tanh) for every timestep, starting from a zero state.

    Args:
      inputs: [timesteps, input_features] for one sequence.
      kernel, recurrent_kernel, bias: `SimpleRNN.get_weights()`, in that order.

    Returns:
      [timesteps, units]: output_t for each t (the layer with `return_sequences=True`).
    """
    state = np.zeros(recurrent_kernel.shape[0], dtype=np.float64)
    outputs = []
    for input_t in inputs:  # the book's listing 6.21, with Keras' weight layout
        output_t = np.tanh(input_t @ kernel + state @ recurrent_kernel + bias)
        outputs.append(output_t)
        state = output_t
    return np.stack(outputs)


def lstm_step(input_t: np.ndarray, state_t: np.ndarray, carry_t: np.ndarray,
              kernel: np.ndarray, recurrent_kernel: np.ndarray,
              bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM timestep (DLwP listing 6.25 with Keras' gates): the next (state, carry).

    Keras packs the four transforms in one kernel, in the order input gate i, forget gate f,
    candidate carry c~ and output gate o, each `units` wide:

        i = sigmoid(W_i·x + U_i·h + b_i)    f = sigmoid(W_f·x + U_f·h + b_f)
        c~ = tanh(W_c·x + U_c·h + b_c)      o = sigmoid(W_o·x + U_o·h + b_o)
        c_{t+1} = f * c_t + i * c~          h_{t+1} = o * tanh(c_{t+1})

    The book's "carry" is c and its `output_t` is h.

    Args:
      input_t: [input_features]; state_t (h) and carry_t (c): [units].
      kernel, recurrent_kernel, bias: `LSTM.get_weights()`, in that order.
    """
    z = input_t @ kernel + state_t @ recurrent_kernel + bias
    i, f, candidate, o = np.split(z, 4)
    carry = _sigmoid(f) * carry_t + _sigmoid(i) * np.tanh(candidate)
    return _sigmoid(o) * np.tanh(carry), carry


def lstm(inputs: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
         bias: np.ndarray) -> np.ndarray:
    """Outputs h_t of an LSTM for every timestep of one sequence, from zero state and carry."""
    units = recurrent_kernel.shape[0]
    state, carry = np.zeros(units), np.zeros(units)
    outputs = []
    for input_t in inputs:
        state, carry = lstm_step(input_t, state, carry, kernel, recurrent_kernel, bias)
        outputs.append(state)
    return np.stack(outputs)
