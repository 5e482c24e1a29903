"""Models trained by `bench/quality.py --save_weights`, loaded back for the analysis benches."""


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
