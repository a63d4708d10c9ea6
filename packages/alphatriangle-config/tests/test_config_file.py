"""The TOML config file and the help text both command lines share: every error names
the file, the table and the field; every option's default is said once."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from alphatriangle.config import (
    ConfigFileError,
    ConfigOverrides,
    EnvConfig,
    TrainConfig,
    read_config_file,
    search_config,
)
from alphatriangle.config.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
)
from alphatriangle.config.help_format import DefaultsOnceFormatter, config_default


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def test_tables_override_the_fields_they_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[train]\nbatch_size = 8\n\n[mcts]\nalgorithm = "puct"\n')
    overrides = read_config_file(path)
    train = overrides.build("train", str(path))
    assert isinstance(train, TrainConfig)
    assert train.batch_size == 8
    assert train.learning_rate == TrainConfig().learning_rate
    assert overrides.build("mcts", str(path)) == search_config(algorithm="puct")
    assert overrides.build("env", str(path)) == EnvConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[search]\nmax_simulations = 4\n", "unknown table [search]"),
        ("train = 3\n", "[train] must be a table"),
        ("[train\n", "is not valid TOML"),
    ],
)
def test_a_file_that_cannot_be_used_is_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError, match=r"config file .*settings\.toml") as caught:
        read_config_file(path)
    assert expected in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"missing\.toml does not exist"):
        read_config_file(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("train", "batch_sise", 4, "[train] batch_sise"),
        ("train", "learning_rate", -1.0, "[train] learning_rate"),
        ("env", "ROWZ", 3, "unknown key(s) in [env]: ROWZ"),
        ("env", "ROWS", 0, "ROWS"),
    ],
)
def test_a_bad_value_names_its_source_table_and_field(
    section: str, key: str, value: object, expected: str
) -> None:
    overrides = ConfigOverrides()
    overrides.set(section, key, value)
    with pytest.raises(ConfigFileError, match=r"^settings\.toml: ") as caught:
        overrides.build(section, "settings.toml")
    assert expected in str(caught.value)


def test_help_says_each_default_once_and_never_none() -> None:
    parser = argparse.ArgumentParser(formatter_class=DefaultsOnceFormatter)
    parser.add_argument("--games", type=int, default=100, help="games per player")
    parser.add_argument("--run-name", default=None, help="a run (default: the newest)")
    parser.add_argument(
        "--batch",
        default=None,
        help=f"batch (default: {config_default(TrainConfig, 'batch_size')})",
    )
    parser.add_argument("--seed", type=int, default=3, help="seed (default: 3)")
    text = " ".join(parser.format_help().split())
    assert "games per player (default: 100)" in text
    assert "(default: None)" not in text
    assert f"batch (default: {TrainConfig().batch_size})" in text
    assert text.count("(default: 3)") == 1


def test_the_exit_codes_are_the_documented_ones() -> None:
    assert (EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT) == (0, 1, 2)
    assert (EXIT_INTERRUPTED, EXIT_TERMINATED) == (130, 143)


def test_a_model_preset_is_reachable_from_the_file_with_fields_on_top(tmp_path: Path) -> None:
    from alphatriangle.config import ModelConfig

    path = write(tmp_path, '[model]\npreset = "gpu"\nvalue_hidden_dim = 32\n')
    model = read_config_file(path).build("model", str(path))
    assert model == ModelConfig.gpu_preset().with_updates(value_hidden_dim=32)
    bad = write(tmp_path, '[model]\npreset = "tpu"\n')
    with pytest.raises(ConfigFileError, match=r"\[model\] preset: .*'tpu'.*cpu, gpu"):
        read_config_file(bad).build("model", str(bad))


def test_the_file_picks_the_board_values_patterns(tmp_path: Path) -> None:
    """`[model] board_value_patterns` chooses the value's inputs: none, some or all; a name
    the board value does not know, or one named twice, is refused naming the field."""
    from alphatriangle.config import ModelConfig

    assert ModelConfig().board_value_patterns == ("strip", "wedge")
    for text, expected in [("[]", ()), ('["wedge"]', ("wedge",))]:
        path = write(tmp_path, f"[model]\nboard_value_patterns = {text}\n")
        model = read_config_file(path).build("model", str(path))
        assert isinstance(model, ModelConfig)
        assert model.board_value_patterns == expected
    for text, message in [
        ('["stripe"]', "'strip' or 'wedge'"),
        ('["wedge", "wedge"]', "repeated: wedge"),
    ]:
        bad = write(tmp_path, f"[model]\nboard_value_patterns = {text}\n")
        with pytest.raises(ConfigFileError, match=r"\[model\] board_value_patterns") as caught:
            read_config_file(bad).build("model", str(bad))
        assert message in str(caught.value)


def test_the_seed_has_one_home_and_workers_default_to_one_per_cpu() -> None:
    """`--seed` (RunContext.seed) is the run's seed; TrainConfig no longer has a dead copy."""
    assert "random_seed" not in TrainConfig.model_fields
    assert TrainConfig().num_self_play_workers is None
