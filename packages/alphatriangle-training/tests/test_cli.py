"""Bad arguments and config values exit 2, name the problem and create nothing on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphatriangle.training.cli import main


@pytest.mark.parametrize(
    ("extra", "toml", "expected"),
    [
        (["--workers", "0"], "", "num_self_play_workers"),
        (["--simulations", "-3"], "", "max_simulations"),
        ([], "[train]\nbatch_sise = 4\n", "batch_sise"),
        ([], "[train]\nlearning_rate = -1.0\n", "learning_rate"),
        ([], "[search]\nmax_simulations = 4\n", "[search]"),
        ([], "[env]\nROWS = 0\n", "ROWS"),
        ([], "[train\n", "not valid TOML"),
        (["--load-checkpoint", "missing.pt"], "", "missing.pt"),
        (["--run-name", "../escape"], "", "--run-name"),
    ],
)
def test_bad_input_exits_2_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    toml: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = list(extra)
    if toml:
        (tmp_path / "bad.toml").write_text(toml)
        args += ["--config", "bad.toml"]
    assert main(args) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_unparseable_arguments_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as caught:
        main(["--seed", "abc"])
    assert caught.value.code == 2
    assert "--seed" in capsys.readouterr().err
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_help_lists_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--run-name",
        "--seed",
        "--max-training-steps",
        "--workers",
        "--games-per-worker",
        "--device",
        "--resume",
        "--no-resume",
        "--load-checkpoint",
        "--ray-address",
        "--log-level",
        "--data-dir",
        "--config",
    ):
        assert option in text
    assert "(default: 42)" in text
