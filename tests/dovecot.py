"""A private Dovecot IMAP server on 127.0.0.1 for tests: one user, Maildir in a temp dir.

Root runs Dovecot with its packaged unprivileged users (the login process refuses root);
anyone else runs every process as themselves. `restart()` keeps the mail and the port.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import free_port

INSTALL = "apt-get install -y dovecot-imapd"
USER, PASSWORD = "shop", "test-imap-password"


def dovecot_binary() -> str:
    """The dovecot binary; missing fails in CI with the install command and skips elsewhere."""
    path = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"dovecot is not installed: run '{INSTALL}' (scripts/test.sh does)",
                        pytrace=False)
        pytest.skip(f"dovecot is not installed ({INSTALL})")
    return path


def _users() -> tuple[str, str, str]:
    """(internal user, login user, mail user)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    def exists(name: str) -> bool:
        try:
            pwd.getpwnam(name)
        except KeyError:
            return False
        return True
    internal = "dovecot" if exists("dovecot") else "nobody"
    login = "dovenull" if exists("dovenull") else "nobody"
    return internal, login, internal


class Dovecot:
    def __init__(self) -> None:
        self.binary = dovecot_binary()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.dir.chmod(0o755)  # the unprivileged login process needs to reach base_dir
        self.proc: subprocess.Popen[bytes] | None = None
        internal, login, mail = _users()
        pw = pwd.getpwnam(mail)
        (self.dir / "mail").mkdir()
        os.chown(self.dir / "mail", pw.pw_uid, pw.pw_gid)
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        ig = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {ig}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{self.dir}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={self.dir}/home/%u
}}
""")

    def start(self, timeout: float = 20.0) -> Dovecot:
        out = (self.dir / "stdout.log").open("ab")
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.conf)],
                                     stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.proc.returncode}:\n"
                                   f"{self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"dovecot not listening after {timeout}s:\n{self.logs()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in
                       (self.dir / "stdout.log", self.dir / "dovecot.log") if p.exists())
