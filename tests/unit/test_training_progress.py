"""The Trainer's terminal output: a tqdm bar on a real pseudo-terminal, plain lines elsewhere."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import termios

import numpy as np
import tensorflow as tf
import tf_keras as keras

from core.config import TrainConfig
from trainer import imdb, train
from trainer.progress import TrainingProgress

EPOCH_LINE = re.compile(r"^    epoch (\d+)/3  \d+ s  .*loss \d\.\d{4}.*val_loss \d\.\d{4}")


def tiny_data():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(64, 4)).astype("float32")
    labels = (features[:, 0] > 0).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((features, labels)).batch(8)
    return data, data.take(2)


def tiny_model() -> keras.Model:
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    return model


def test_train_fit_prints_one_plain_line_per_epoch_when_not_a_tty(capsys, tmp_path):
    """Captured stdout is not a TTY: no bar, no Keras step lines, no control codes."""
    train_data, eval_data = tiny_data()
    train.fit(tiny_model(), train_data, eval_data, TrainConfig(epochs=3), imdb.TASK,
              str(tmp_path / "logs"))
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert len(lines) == 3, printed
    assert [int(EPOCH_LINE.match(line).group(1)) for line in lines] == [1, 2, 3]
    assert "\r" not in printed and "\x1b" not in printed


def test_on_a_terminal_a_bar_is_redrawn_in_place_for_each_epoch():
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    os.set_blocking(leader, False)
    with os.fdopen(follower, "w") as terminal:
        assert terminal.isatty()
        train_data, eval_data = tiny_data()
        tiny_model().fit(train_data, validation_data=eval_data, epochs=3, verbose=0,
                         callbacks=[TrainingProgress(3, stream=terminal)])
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # nothing left to read (or the follower end is closed)
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    text = drawn.decode()
    assert re.search(r"\r(?!\n)", text)  # a line redrawn in place (the pty sends \n as \r\n)
    assert "/8 [" in text  # tqdm's step count of the 8 batches
    finished = [line for line in re.split(r"[\r\n]+", text) if EPOCH_LINE.match(line)]
    assert len(finished) == 3
