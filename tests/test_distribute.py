"""tf.distribute on a CPU: MirroredStrategy over two logical CPUs, MultiWorkerMirroredStrategy over two
train.py processes on localhost. Both must make the same updates as one device with the whole batch."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

from helpers import tiny_config, write_tone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
TIMEOUT = 420  # seconds; every process here is bounded


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "mirrored_check.py"), str(tmp_path)],
                         capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "mirrored steps == one device" in out.stdout and "mirrored trainer epoch ok" in out.stdout
    assert "mirrored carried state round trip ok" in out.stdout


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
            "--early_stopping_patience", "0", "--no-generate"]
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
    assert "Saved checkpoint" in outputs[0] and "Saved checkpoint" not in outputs[1]
    for a, b in zip(final_weights(logdir, "multi"), final_weights(logdir, "single")):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
