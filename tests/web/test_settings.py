"""web.settings: one definition of every `bfxdb serve` setting, read by the options, the app and its state."""

from __future__ import annotations

import dataclasses

import pytest
from bfxdb.web import create_app
from bfxdb.web.serve import serve
from bfxdb.web.settings import DEFAULTS, ENVIRONMENT, ServeSettings

from ..conftest import REPO


def test_every_option_defaults_to_its_setting():
    params = {param.name: param for param in serve.params}
    assert set(params) == {item.name for item in dataclasses.fields(ServeSettings)}
    for name, param in params.items():
        assert param.envvar == ENVIRONMENT[name]
        # PATH has no default of its own: serve says when it falls back to the default file.
        if name != "path":
            assert param.default == getattr(DEFAULTS, name), name


def test_the_app_defaults_to_the_same_settings():
    app = create_app(":memory:")
    config = DEFAULTS.app_config()
    assert config["DATABASE"] == "bfxdb.db" and config["QUERY_TIMEOUT"] == 30.0
    assert {key: app.config[key] for key in config} == config
    state = app.extensions["bfxdb"]
    assert state.query_timeout == DEFAULTS.query_timeout and state.max_import_bytes == DEFAULTS.max_import_bytes


def test_app_config_names_only_what_the_app_reads():
    settings = ServeSettings(host="0.0.0.0", api_keys=("k",), cpus="0", max_body_bytes=10)
    config = settings.app_config()
    assert config["API_KEYS"] == ("k",) and config["MAX_CONTENT_LENGTH"] == 10
    assert not {"host", "HOST", "cpus", "CPUS", "threads", "port", "insecure"} & set(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]


def test_every_setting_is_in_the_readme_settings_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for param in serve.params:
        option = "PATH" if param.name == "path" else param.opts[0]
        assert f"| `{option}` | `{ENVIRONMENT[param.name]}` |" in readme, option
