"""Configuration errors name what the user set: the environment variable when the value came
from one (whatever check refused it), the setting when it came from Python."""

from __future__ import annotations

import pytest

from tests.helpers import invoke_cli
from workbench.config import ENV_VARS, Config
from workbench.errors import ConfigError, WorkbenchError

#: Values that some setting refuses: below a minimum, blank, not a pattern, not a backend.
BAD_VALUES = ("-1", "0", " ", "!", "bogus")


def test_every_value_refused_from_the_environment_names_its_variable():
    refused: dict[str, list[str]] = {}
    for var in ENV_VARS:
        for raw in BAD_VALUES:
            try:
                Config.from_env({var: raw})
            except ConfigError as exc:
                refused.setdefault(var, []).append(raw)
                assert str(exc).startswith(var), f"{var}={raw!r}: {exc}"
                assert exc.variable == var and exc.setting == ENV_VARS[var]
    # the rule covers every kind of check, not only the numbers
    assert {"WORKBENCH_WORKERS", "WORKBENCH_LOCK_TIMEOUT", "WORKBENCH_GIT_TIMEOUT",
            "WORKBENCH_JOB_THREADS", "WORKBENCH_EVENTS_POLL", "WORKBENCH_AI_RETRIES",
            "WORKBENCH_EVENTS", "WORKBENCH_EXCLUDE", "WORKBENCH_API_TOKEN",
            "WORKBENCH_WEBHOOK_SECRET", "WORKBENCH_BLAME"} <= set(refused)
    with pytest.raises(ConfigError) as workers:
        Config.from_env({"WORKBENCH_WORKERS": "-3"})
    assert str(workers.value) == "WORKBENCH_WORKERS must be >= 0, got -3"
    with pytest.raises(ConfigError) as exclude:
        Config.from_env({"WORKBENCH_EXCLUDE": "vendor/,!"})
    assert str(exclude.value).startswith("WORKBENCH_EXCLUDE='vendor/,!': invalid exclude pattern")


def test_a_value_given_in_python_is_named_as_the_setting():
    with pytest.raises(ConfigError) as given:
        Config(workers=-3)
    assert str(given.value) == "workers must be >= 0, got -3"
    # an argument wins over the variable, and the error is about the argument
    with pytest.raises(ConfigError) as override:
        Config.from_env({"WORKBENCH_LOCK_TIMEOUT": "5"}, lock_timeout=-1)
    assert str(override.value) == "lock_timeout must be >= 0 seconds, got -1"
    with pytest.raises(ConfigError, match="^events must be duckdb or redis://host:port/db"):
        Config(events="kafka")


def test_values_checked_where_they_are_used_name_their_variable_too(tmp_path):
    pytest.importorskip("workbench.ai.providers")
    from workbench.ai.errors import NoProvider
    from workbench.ai.providers import get_provider

    config = Config.from_env({"WORKBENCH_AI_PROVIDER": "bogus"}, data_dir=tmp_path)
    with pytest.raises(WorkbenchError) as provider:
        get_provider(None, config)
    assert str(provider.value).startswith(
        "WORKBENCH_AI_PROVIDER='bogus': no AI provider called 'bogus'; choose one of")
    with pytest.raises(WorkbenchError) as named:  # a name given by the caller is its own
        get_provider("other", config)
    assert str(named.value).startswith("no AI provider called 'other'")
    again = NoProvider("no AI provider called 'bogus'", provider="bogus")
    assert str(config.with_(workers=2).named("ai_provider", again)).startswith(
        "WORKBENCH_AI_PROVIDER='bogus': ")  # a copy keeps where its other values came from
    assert config.with_(ai_provider="goose").named("ai_provider", again) is again

    out = invoke_cli("status", data_dir=tmp_path / "data", env={"WORKBENCH_EXECUTOR": "bogus"})
    assert out.returncode == 1
    assert out.stderr.startswith("error: WORKBENCH_EXECUTOR='bogus': unknown executor 'bogus'")
    flag = invoke_cli("map", "--all", "--executor", "bogus", data_dir=tmp_path / "data",
                      env={"WORKBENCH_EXECUTOR": "local"})
    # the option names itself, as a usage error (exit 2)
    assert flag.returncode == 2 and flag.stderr.startswith(
        "error: Invalid value for '--executor': unknown executor 'bogus'"), flag.stderr


@pytest.mark.parametrize("env, line", [
    ({"WORKBENCH_WORKERS": "-3"}, "error: WORKBENCH_WORKERS must be >= 0, got -3"),
    ({"WORKBENCH_LOCK_TIMEOUT": "abc"},
     "error: WORKBENCH_LOCK_TIMEOUT='abc' is not a number; unset it or give a number"),
    ({"WORKBENCH_EVENTS_POLL": "0"}, "error: WORKBENCH_EVENTS_POLL must be > 0 seconds, got 0.0"),
])
def test_the_cli_prints_the_variable_in_one_error_line(tmp_path, env, line):
    out = invoke_cli("status", data_dir=tmp_path / "data", env=env)
    assert out.returncode == 1 and out.stderr.splitlines() == [line], out.stderr
