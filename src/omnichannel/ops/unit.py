"""The systemd unit `omnichannel service install` writes, and the install itself.

A system unit (not a per-user one: those need lingering for root and die with the login),
`Type=notify` with a watchdog, its own system user, `StateDirectory=` for the store and
`LoadCredential=` for every `${NAME}` the config references: secrets live in
/etc/omnichannel/credentials/NAME (0600, root), systemd hands them to the service in
$CREDENTIALS_DIRECTORY, and config.py reads them from there. Hardening is on by default;
the service only needs its state directory, its config (read-only) and the network.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

UNIT_PATH = Path("/etc/systemd/system/omnichannel.service")
CREDENTIALS = Path("/etc/omnichannel/credentials")
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class UnitSpec:
    config: Path
    user: str = "omnichannel"
    executable: str = field(default_factory=lambda: _executable())
    credentials: tuple[str, ...] = ()
    watchdog_seconds: int = 30
    name: str = "omnichannel"

    @property
    def state_dir(self) -> Path:
        return Path("/var/lib") / self.name


def _executable() -> str:
    found = shutil.which("omnichannel")
    if found:
        return str(Path(found).resolve())
    return f"{sys.executable} -m omnichannel"


def referenced_secrets(config_text: str) -> tuple[str, ...]:
    """Every ${NAME} in the config, in order of first use."""
    seen: dict[str, None] = {}
    for line in config_text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for m in _REF.finditer(line):
            seen.setdefault(m.group(1), None)
    return tuple(seen)


def render(spec: UnitSpec) -> str:
    creds = "".join(f"LoadCredential={n}:{CREDENTIALS / n}\n" for n in spec.credentials)
    exec_start = f"{spec.executable} --config {shlex.quote(str(spec.config))} run"
    return f"""\
# Written by `omnichannel service install`; `omnichannel doctor` compares it with what
# install would write today. Edit with `systemctl edit {spec.name}` (drop-ins survive).
[Unit]
Description=omnichannel customer-support gateway
Documentation=file://{spec.config.parent}/README.md
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
TimeoutStartSec=120s
TimeoutStopSec=60s
WatchdogSec={spec.watchdog_seconds}s
User={spec.user}
Group={spec.user}
WorkingDirectory=/var/lib/{spec.name}
StateDirectory={spec.name}
StateDirectoryMode=0700
CacheDirectory={spec.name}
CacheDirectoryMode=0700
Environment=OMNICHANNEL_STATE_DIR=%S/{spec.name}
Environment=OMNICHANNEL_CACHE_DIR=%C/{spec.name}
Environment=LITELLM_LOCAL_MODEL_COST_MAP=True
{creds}NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=no
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
CapabilityBoundingSet=
UMask=0077

[Install]
WantedBy=multi-user.target
"""


@dataclass
class InstallReport:
    unit_path: Path
    actions: list[str]


def install(spec: UnitSpec, unit_path: Path = UNIT_PATH, *, run: bool = True) -> InstallReport:
    """Write the unit, create the user and the credentials folder, reload systemd. Each
    step is reported; `run=False` skips the commands (tests write to a temp path)."""
    actions: list[str] = []
    text = render(spec)
    if run and os.geteuid() != 0:
        raise PermissionError("service install writes a system unit: run it as root (sudo)")
    commands: list[list[str]] = []
    if run and shutil.which("getent") and subprocess.run(
            ["getent", "passwd", spec.user], capture_output=True).returncode != 0:
        commands.append(["useradd", "--system", "--no-create-home", "--home-dir",
                         str(spec.state_dir), "--shell", "/usr/sbin/nologin", spec.user])
    unit_path.parent.mkdir(parents=True, exist_ok=True)
    unit_path.write_text(text)
    actions.append(f"wrote {unit_path}")
    if spec.credentials:
        folder = CREDENTIALS if run else unit_path.parent / "credentials"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        missing = [n for n in spec.credentials if not (folder / n).exists()]
        actions.append(f"credentials folder {folder} (0700); put each secret in its own file: "
                       + ", ".join(spec.credentials)
                       + (f" (missing now: {', '.join(missing)})" if missing else ""))
    if run:
        commands += [["systemctl", "daemon-reload"]]
        for cmd in commands:
            subprocess.run(cmd, check=True)
            actions.append("ran " + " ".join(cmd))
        actions.append(f"start it with: systemctl enable --now {spec.name}")
    return InstallReport(unit_path, actions)
