"""Device registry.

Devices are declared in ``config/devices.json``. Each has an id, a kind, the zone it
sits in, the Zigbee model and IEEE address, and an ``enabled`` flag. Disabled devices
stay in the file (so their history keeps a name) but are ignored by the rules.
"""

import json
import logging
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

log = logging.getLogger(__name__)

KINDS = ("trv", "temp", "motion", "light", "plug", "relay", "contact")
SENSOR_KINDS = ("temp", "motion", "contact")
ACTUATOR_KINDS = ("trv", "light", "plug", "relay")


class DeviceError(Exception):
    pass


@dataclass
class Device:
    id: str
    kind: str
    zone: str
    model: str
    ieee: str
    enabled: bool = True
    report_s: Optional[int] = None
    occupancy_timeout_s: Optional[int] = None
    note: str = ""
    extra: Dict[str, object] = field(default_factory=dict)

    @property
    def is_sensor(self) -> bool:
        return self.kind in SENSOR_KINDS

    @property
    def is_actuator(self) -> bool:
        return self.kind in ACTUATOR_KINDS


def _parse(raw: dict) -> Device:
    known = {"id", "kind", "zone", "model", "ieee", "enabled", "report_s",
             "occupancy_timeout_s", "note"}
    missing = [k for k in ("id", "kind", "zone", "model", "ieee") if k not in raw]
    if missing:
        raise DeviceError("device %r is missing %s" % (raw.get("id", "?"), ", ".join(missing)))
    if raw["kind"] not in KINDS:
        raise DeviceError("device %r has unknown kind %r" % (raw["id"], raw["kind"]))
    ieee = raw["ieee"]
    if not (ieee.startswith("0x") and len(ieee) == 18):
        raise DeviceError("device %r has a malformed IEEE address %r" % (raw["id"], ieee))
    return Device(
        id=raw["id"], kind=raw["kind"], zone=raw["zone"], model=raw["model"], ieee=ieee,
        enabled=bool(raw.get("enabled", True)), report_s=raw.get("report_s"),
        occupancy_timeout_s=raw.get("occupancy_timeout_s"), note=raw.get("note", ""),
        extra={k: v for k, v in raw.items() if k not in known},
    )


class Registry:
    """All devices, indexed by id and by IEEE address."""

    def __init__(self, devices: Iterable[Device]):
        self._by_id: Dict[str, Device] = {}
        self._by_ieee: Dict[str, Device] = {}
        for dev in devices:
            if dev.id in self._by_id:
                raise DeviceError("duplicate device id %r" % dev.id)
            if dev.ieee in self._by_ieee:
                raise DeviceError("devices %r and %r share IEEE address %s"
                                  % (self._by_ieee[dev.ieee].id, dev.id, dev.ieee))
            self._by_id[dev.id] = dev
            self._by_ieee[dev.ieee] = dev

    @classmethod
    def load(cls, path: str) -> "Registry":
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("schema") != 2:
            raise DeviceError("%s: expected schema 2, got %r" % (path, data.get("schema")))
        return cls(_parse(raw) for raw in data["devices"])

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):
        return iter(self._by_id.values())

    def get(self, device_id: str) -> Device:
        try:
            return self._by_id[device_id]
        except KeyError:
            raise DeviceError("unknown device %r" % device_id)

    def by_ieee(self, ieee: str) -> Optional[Device]:
        return self._by_ieee.get(ieee)

    def in_zone(self, zone: str, kind: Optional[str] = None,
                enabled_only: bool = True) -> List[Device]:
        return [d for d in self._by_id.values()
                if d.zone == zone and (kind is None or d.kind == kind)
                and (d.enabled or not enabled_only)]

    def zones(self) -> List[str]:
        return sorted({d.zone for d in self._by_id.values()})
