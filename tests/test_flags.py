"""train.py's on/off flags in both spellings: ours (`--resume` / `--no-resume`) and PRiSM's (`--resume False`)."""

import pytest

from samplernn.commands import train


def parse(*argv):
    return train.build_parser().parse_args(["--data_dir", "d", *argv])


@pytest.mark.parametrize("flag", ["resume", "generate"])
@pytest.mark.parametrize("argv, expected", [
    (["--{}"], True), (["--no-{}"], False),
    (["--{}", "True"], True), (["--{}", "False"], False), (["--{}", "false"], False), (["--{}", "TRUE"], True),
    (["--no-{}", "--{}"], True), (["--{}", "False", "--id", "x"], False),
])
def test_on_off_flag_takes_both_spellings(flag, argv, expected):
    assert getattr(parse(*[a.format(flag) for a in argv]), flag) is expected


def test_defaults_resume_and_generate():
    args = parse()
    assert args.resume is True and args.generate is True


@pytest.mark.parametrize("argv, message", [
    (["--resume", "maybe"], "argument --resume: expected True or False, got 'maybe'"),
    (["--generate", "0"], "argument --generate: expected True or False, got '0'"),
    (["--no-resume", "False"], "unrecognized arguments: False"),
])
def test_on_off_flag_refuses_other_values(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse(*argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
