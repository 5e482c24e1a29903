"""Models trained by `bench/quality.py --save_weights`, and the split of files they trained on, loaded back
for the analysis benches."""


def add_saved_model_args(parser):
    """--config_file and --weights, both required: the model `load_trained` loads."""
    parser.add_argument("--config_file", required=True)
    parser.add_argument("--weights", required=True, help="a .weights.h5 file (bench/quality.py --save_weights)")


def load_trained(config_file, weights):
    """(config, model): the model of `config_file` built and given the saved `weights` (.weights.h5)."""
    from samplernn.config import load_config
    from samplernn.model import build_model

    config = load_config(config_file)
    model = build_model(config)
    model.load_weights(weights)
    return config, model


def quality_split(data_dir, notice=lambda *_: None):
    """(training files, held-out files) of `data_dir` as `bench/quality.py` splits them (and train.py with its
    defaults): a tenth of the recordings held out, seed 0."""
    from samplernn.data import list_training_files, split_files

    return split_files(list_training_files(data_dir), 0.1, seed=0, notice=notice)
