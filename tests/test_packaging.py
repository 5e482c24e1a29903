"""pyproject.toml: `pip install .` and `pip install -e .` give the four commands, and its dependencies are
requirements.txt's runtime lines."""

import os
import shutil
import site
import subprocess
import sys
import tomllib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# each command and a flag its --help must name
COMMANDS = {"samplernn-train": "--data_dir", "samplernn-generate": "--checkpoint_path",
            "samplernn-chunk": "--chunk_length", "samplernn-evaluate": "--checkpoint_path"}
TEST_ONLY = ("pytest",)  # requirements.txt lines the package does not need


def pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def test_dependencies_are_the_runtime_requirements():
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    assert pyproject()["dependencies"] == [line for line in lines if not line.startswith(TEST_ONLY)]


def test_every_command_has_an_entry_point():
    assert set(pyproject()["scripts"]) == set(COMMANDS)


def fresh_venv(path):
    """A venv without pip that also sees this interpreter's packages (pip, setuptools, TensorFlow...) through a
    .pth file, so installing with --no-deps --no-build-isolation needs no network."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    python = path / "bin" / "python"
    venv_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    with open(os.path.join(venv_site, "outer.pth"), "w") as f:
        f.write("\n".join(site.getsitepackages()) + "\n")
    return python


@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_pip_install_gives_the_commands(tmp_path, editable):
    # install from a copy of what the package needs (no top-level scripts), so no build files land in the tree
    source = tmp_path / "source"
    shutil.copytree(os.path.join(ROOT, "samplernn"), source / "samplernn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    python = fresh_venv(tmp_path / "venv")
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
               *(["-e"] if editable else []), str(source)]
    r = subprocess.run(install, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for command, flag in COMMANDS.items():
        r = subprocess.run([tmp_path / "venv" / "bin" / command, "--help"], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"usage: {command} ") and flag in r.stdout
    where = subprocess.run([python, "-c", "import samplernn; print(samplernn.__file__)"], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path).stdout
    assert where.startswith(str(source if editable else tmp_path / "venv"))
