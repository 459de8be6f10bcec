"""A private Dovecot IMAP server on 127.0.0.1 for tests: one user, Maildir in a temp dir.

Root runs Dovecot with its packaged unprivileged users (the login process refuses root);
anyone else runs every process as themselves. `restart()` keeps the mail and the port.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
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
    """`tls`: (certificate, key) PEM paths, and the listener speaks implicit TLS (IMAPS).
    `idle=False` leaves IDLE out of the capabilities, as some hosted servers do."""

    def __init__(self, tls: tuple[Path, Path] | None = None, idle: bool = True) -> None:
        self.binary = dovecot_binary()
        self.tls = tls
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.dir.chmod(0o755)  # the unprivileged login process needs to reach base_dir
        self.proc: subprocess.Popen[bytes] | None = None
        internal, login, mail = _users()
        pw = pwd.getpwnam(mail)
        (self.dir / "mail").mkdir()
        os.chown(self.dir / "mail", pw.pw_uid, pw.pw_gid)
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if tls is None:
            ssl_conf, plain_port, tls_port = "ssl = no", self.port, 0
        else:
            ssl_conf = f"ssl = required\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}"
            plain_port, tls_port = 0, self.port
        caps = "" if idle else (
            "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ "
            "UIDPLUS SORT THREAD=REFERENCES MOVE")
        ig = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
{ssl_conf}
{caps}
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
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
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
                    if self.tls is not None:  # listening is enough; the handshake is tested
                        return self
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

    def client(self) -> imaplib.IMAP4:
        """A logged-in stdlib client (to append mail as another MUA would)."""
        if self.tls is None:
            imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        else:
            context = ssl.create_default_context(cafile=str(self.tls[0]))
            imap = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in
                       (self.dir / "stdout.log", self.dir / "dovecot.log") if p.exists())


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files in `folder`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "omnichannel test mail")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    for p in (folder, cert_path, key_path):  # dovecot reads them as root before dropping
        p.chmod(0o755 if p.is_dir() else 0o644)
    return cert_path, key_path
