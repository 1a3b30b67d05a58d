"""Configuration loading.

The main file is an INI file (``config/hearthd.ini`` in development,
``/etc/hearthd/hearthd.ini`` on the Pi). Every key can be overridden from the
environment as ``HEARTHD_<SECTION>_<KEY>`` (upper case), which is how secrets and
per-host differences are injected by the systemd unit.

The JSON files (devices, rules, zones) are referenced from the ``[files]`` section
and loaded lazily by their own modules; this module only resolves their paths.
"""

import configparser
import logging
import os
from dataclasses import dataclass, field
from typing import Dict, Optional

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(ROOT, "config", "hearthd.ini")
ENV_PREFIX = "HEARTHD_"

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class ConfigError(Exception):
    """Raised when the configuration is missing a key or has a bad value."""


@dataclass
class HeatingConfig:
    comfort_c: float
    setback_c: float
    away_c: float
    hysteresis_c: float
    min_cycle_s: int
    boiler_relay: str

    def setpoint(self, name_or_value) -> float:
        """Resolve a rule's setpoint: a name ("comfort", "setback", "away") or a number."""
        if isinstance(name_or_value, (int, float)):
            return float(name_or_value)
        try:
            return float(getattr(self, "%s_c" % name_or_value))
        except AttributeError:
            raise ConfigError("unknown setpoint name %r" % (name_or_value,))


@dataclass
class Config:
    path: str
    house: str
    timezone: str
    client_id: str
    log_level: str
    state_db: str
    history_retention_days: int
    sample_interval_s: int
    tick_s: int
    api_host: str
    api_port: int
    api_require_key: bool
    api_cors_origin: str
    bus_host: str
    bus_port: int
    bus_tls: bool
    bus_keepalive_s: int
    bus_topic_prefix: str
    bus_qos: int
    zigbee_device: str
    zigbee_channel: int
    zigbee_permit_join: bool
    heating: HeatingConfig
    files: Dict[str, str] = field(default_factory=dict)

    def file_path(self, name: str) -> str:
        """Absolute path of one of the JSON files named in ``[files]``."""
        try:
            rel = self.files[name]
        except KeyError:
            raise ConfigError("no [files] entry named %r" % (name,))
        if os.path.isabs(rel):
            return rel
        return os.path.join(ROOT, rel)


def _env_override(section: str, key: str) -> Optional[str]:
    return os.environ.get("%s%s_%s" % (ENV_PREFIX, section.upper(), key.upper()))


def _get(cp: configparser.ConfigParser, section: str, key: str) -> str:
    env = _env_override(section, key)
    if env is not None:
        log.debug("config %s.%s overridden from environment", section, key)
        return env
    try:
        return cp.get(section, key)
    except (configparser.NoSectionError, configparser.NoOptionError):
        raise ConfigError("missing [%s] %s" % (section, key))


def _int(cp, section, key) -> int:
    raw = _get(cp, section, key)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError("[%s] %s must be an integer, got %r" % (section, key, raw))


def _float(cp, section, key) -> float:
    raw = _get(cp, section, key)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError("[%s] %s must be a number, got %r" % (section, key, raw))


def _bool(cp, section, key) -> bool:
    raw = _get(cp, section, key).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError("[%s] %s must be yes/no, got %r" % (section, key, raw))


def load(path: Optional[str] = None) -> Config:
    """Load the configuration from ``path`` (default: the development copy)."""
    path = path or os.environ.get("HEARTHD_CONFIG") or DEFAULT_PATH
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
    if not cp.read(path, encoding="utf-8"):
        raise ConfigError("cannot read config file %s" % path)

    heating = HeatingConfig(
        comfort_c=_float(cp, "heating", "comfort_c"),
        setback_c=_float(cp, "heating", "setback_c"),
        away_c=_float(cp, "heating", "away_c"),
        hysteresis_c=_float(cp, "heating", "hysteresis_c"),
        min_cycle_s=_int(cp, "heating", "min_cycle_s"),
        boiler_relay=_get(cp, "heating", "boiler_relay"),
    )
    if not heating.setback_c < heating.comfort_c:
        raise ConfigError("setback_c must be below comfort_c")

    cfg = Config(
        path=path,
        house=_get(cp, "core", "house"),
        timezone=_get(cp, "core", "timezone"),
        client_id=_get(cp, "core", "client_id"),
        log_level=_get(cp, "core", "log_level"),
        state_db=_get(cp, "core", "state_db"),
        history_retention_days=_int(cp, "core", "history_retention_days"),
        sample_interval_s=_int(cp, "core", "sample_interval_s"),
        tick_s=_int(cp, "core", "tick_s"),
        api_host=_get(cp, "api", "host"),
        api_port=_int(cp, "api", "port"),
        api_require_key=_bool(cp, "api", "require_key"),
        api_cors_origin=_get(cp, "api", "cors_origin"),
        bus_host=_get(cp, "bus", "host"),
        bus_port=_int(cp, "bus", "port"),
        bus_tls=_bool(cp, "bus", "tls"),
        bus_keepalive_s=_int(cp, "bus", "keepalive_s"),
        bus_topic_prefix=_get(cp, "bus", "topic_prefix"),
        bus_qos=_int(cp, "bus", "qos"),
        zigbee_device=_get(cp, "zigbee", "device"),
        zigbee_channel=_int(cp, "zigbee", "channel"),
        zigbee_permit_join=_bool(cp, "zigbee", "permit_join"),
        heating=heating,
        files=dict(cp.items("files")) if cp.has_section("files") else {},
    )
    if not 1 <= cfg.api_port <= 65535:
        raise ConfigError("[api] port out of range: %d" % cfg.api_port)
    if cfg.zigbee_channel not in range(11, 27):
        raise ConfigError("[zigbee] channel must be 11..26, got %d" % cfg.zigbee_channel)
    return cfg
