"""tf.distribute on a CPU: MirroredStrategy over two logical CPUs, MultiWorkerMirroredStrategy over two
train.py processes on localhost. Both must make the same updates as one device with the whole batch."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import tensorflow as tf

from helpers import tiny_config, write_tone
from samplernn.distribute import local_rows, split_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
TIMEOUT = 420  # seconds; every process here is bounded


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "mirrored_check.py"), str(tmp_path)],
                         capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "mirrored steps == one device" in out.stdout and "mirrored trainer epoch ok" in out.stdout
    assert "mirrored carried state round trip ok" in out.stdout


class WorkerOf:
    """MultiWorkerMirroredStrategy as worker `task` of `workers` sees it, `local` replicas on each worker: its
    replicas are task * local + i (TensorFlow's numbering, `CollectiveAllReduceExtended`), and only their
    values are made here."""

    def __init__(self, task, workers, local):
        self.ids, self.num_replicas_in_sync = [task * local + i for i in range(local)], workers * local

    def experimental_distribute_values_from_function(self, value_fn):
        return [value_fn(tf.distribute.experimental.ValueContext(i, self.num_replicas_in_sync)) for i in self.ids]

    def experimental_local_results(self, values):
        return tuple(values)


def test_each_worker_reads_the_rows_its_replicas_are_given():
    """local_rows names exactly the real rows that split_rows hands this worker's replicas, for every batch size
    (the last file batch of an epoch is smaller); together the workers cover every row once."""
    for workers, local in ((2, 1), (2, 2), (3, 2), (4, 1)):
        for batch in range(1, 10):
            covered = []
            for task in range(workers):
                strategy = WorkerOf(task, workers, local)
                given = np.concatenate([np.asarray(t) for t in split_rows(strategy, np.arange(1, batch + 1))[0]])
                rows = local_rows(strategy, batch)
                np.testing.assert_array_equal(rows, given[given > 0] - 1)  # 0: a padding row
                covered.extend(rows)
            assert sorted(covered) == list(range(batch))
    assert list(local_rows(WorkerOf(1, 2, 2), 8)) == [4, 5, 6, 7]
    assert list(local_rows(tf.distribute.get_strategy(), 5)) == [0, 1, 2, 3, 4]


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def final_weights(logdir, run_id):
    from samplernn import checkpoints
    from samplernn.model import build_model

    runs = os.listdir(os.path.join(logdir, run_id))
    assert len(runs) == 1, f"expected one run dir, found {runs}"  # the second worker writes nothing
    model = build_model(tiny_config())
    checkpoints.load_weights(checkpoints.latest_checkpoint(os.path.join(logdir, run_id, runs[0])), model)
    return model.get_weights()


def test_multi_worker_strategy_on_two_local_processes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(5):
        write_tone(data / f"t{i}.wav", 0.05, freq=200 + 50 * i)
    config_file = tmp_path / "tiny.json"
    config_file.write_text(json.dumps(tiny_config().to_dict()))
    logdir = tmp_path / "logdir"
    args = [sys.executable, os.path.join(ROOT, "train.py"), "--data_dir", data, "--logdir_root", logdir,
            "--config_file", config_file, "--num_epochs", "1", "--batch_size", "4", "--val_frac", "0.2",
            "--early_stopping_patience", "0", "--no-generate",
            "--mixed_precision", "off"]  # the same weights to float32 rounding (bf16 rounds 1e-3 apart)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    procs = [subprocess.Popen([*map(str, args), "--id", "multi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, stdin=subprocess.DEVNULL,
                              env={**ENV, "TF_CONFIG": json.dumps({"cluster": cluster,
                                                                  "task": {"type": "worker", "index": i}})})
             for i in range(2)]
    reference = subprocess.Popen([*map(str, args), "--id", "single"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, env=ENV)
    outputs = []
    try:
        for proc in procs + [reference]:
            outputs.append(proc.communicate(timeout=TIMEOUT)[0])
    finally:
        for proc in procs + [reference]:
            proc.kill()
    for proc, out in zip(procs + [reference], outputs):
        assert proc.returncode == 0, out[-3000:]
    assert "Multi-worker training: this is worker 0, 2 replica(s)" in outputs[0]
    for i, out in enumerate(outputs[:2]):  # the same weights as "single" below: the rows read were the right ones
        assert f"reads only the rows its replicas train: 2 of each batch's 4 (rows {2 * i}-{2 * i + 1})" in out
    assert "Saved checkpoint" in outputs[0] and "Saved checkpoint" not in outputs[1]
    for a, b in zip(final_weights(logdir, "multi"), final_weights(logdir, "single")):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
