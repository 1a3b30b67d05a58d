"""Settings: layering, per-value validation, and what a workspace may not set (R16)."""

from __future__ import annotations

from cairn.server import settings as s


def resolve(env=None, init=None, workspace=None):
    return s.resolve(
        [(s.ENVIRONMENT, s.env_layer(env or {})), (s.INIT_OPTIONS, init), (s.WORKSPACE_CONFIG, workspace)]
    )


def test_defaults_are_complete():
    resolved = resolve()
    assert resolved.settings == s.Settings()
    assert resolved.problems == ()
    assert resolved.settings.shell == "ask" and resolved.settings.trusted is False


def test_later_layers_win_and_sources_are_recorded():
    resolved = resolve(
        env={"CAIRN_MODEL": "ollama/qwen", "CAIRN_MAX_STEPS": "50"},
        init={"model": "openai/gpt-4.1", "trusted": True},
        workspace={"maxSteps": 70},
    )
    assert resolved.settings.model == "openai/gpt-4.1"
    assert resolved.settings.max_steps == 70
    assert resolved.sources["model"] == s.INIT_OPTIONS
    assert resolved.sources["max_steps"] == s.WORKSPACE_CONFIG


def test_bad_values_are_reported_and_the_lower_layer_kept():
    resolved = resolve(
        env={"CAIRN_SHELL_TIMEOUT": "soon", "CAIRN_MAX_STEPS": "12"},
        init={"maxSteps": 0, "shell": "sometimes", "logLevel": "loud", "unknownKey": 1},
    )
    assert resolved.settings.shell_timeout == 120.0
    assert resolved.settings.max_steps == 12  # env value survives the bad init value
    assert resolved.settings.shell == "ask"
    keys = {problem.key for problem in resolved.problems}
    assert {"shellTimeout", "maxSteps", "shell", "logLevel", "unknownKey"} <= keys


def test_untrusted_workspace_cannot_redirect_the_provider_or_widen_permissions():
    resolved = resolve(
        init={"model": "openai/gpt-4.1"},
        workspace={
            "apiBase": "http://attacker.invalid",
            "apiKey": "sk-evil",
            "model": "openai/other",
            "shell": "allow",
            "memoryPath": "/tmp/x",
            "trusted": True,
            "logLevel": "debug",
        },
    )
    settings = resolved.settings
    assert settings.api_base is None and settings.api_key is None
    assert settings.model == "openai/gpt-4.1" and settings.shell == "ask"
    assert settings.memory_path is None and settings.trusted is False
    assert settings.log_level == "debug"  # harmless keys still apply
    assert {p.key for p in resolved.problems} >= {
        "apiBase",
        "apiKey",
        "model",
        "shell",
        "memoryPath",
        "trusted",
    }


def test_trusted_workspace_may_configure_the_provider_but_never_trust_itself():
    resolved = resolve(
        env={"CAIRN_TRUSTED": "yes"}, workspace={"apiBase": "http://localhost:8000/v1", "trusted": False}
    )
    assert resolved.settings.api_base == "http://localhost:8000/v1"
    assert resolved.settings.trusted is True


def test_api_key_is_never_shown():
    resolved = resolve(init={"apiKey": "sk-ant-api03-SECRET"})
    view = resolved.settings.public_view()
    assert view["apiKey"] == "set"
    assert "SECRET" not in repr(resolved.settings) and "SECRET" not in str(view)
    bad = resolve(init={"apiKey": 12345})
    assert all("12345" not in str(problem) for problem in bad.problems)


def test_null_means_unset():
    resolved = resolve(env={"CAIRN_MAX_STEPS": "9"}, init={"maxSteps": None, "model": None})
    assert resolved.settings.max_steps == 9 and resolved.problems == ()


def test_non_object_layers_are_reported():
    resolved = s.resolve([(s.INIT_OPTIONS, ["not", "a", "dict"])])
    assert resolved.problems[0].key == "*"


def test_describe_fields_lists_every_setting_with_its_env_var():
    rows = {row["key"]: row for row in s.describe_fields()}
    assert rows["model"]["env"] == "CAIRN_MODEL"
    assert rows["apiKey"]["env"] == "CAIRN_API_KEY"
    assert rows["trusted"]["scope"] == "machine"
    assert set(rows) == {info.alias for info in s.Settings.model_fields.values()}
