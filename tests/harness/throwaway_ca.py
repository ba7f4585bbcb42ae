"""A certificate authority made for one test run, with the `openssl` CLI.

    ca = ThrowawayCA(directory, "erp-test-ca")
    cert, key = ca.issue_server("server", hosts=("127.0.0.1", "localhost"))
    cert, key = ca.issue_client("client-erp_cert", common_name="erp_cert")

Keys are EC P-256 (fast to make), certificates valid for two days; the CA's own key never
leaves `directory`. Server certificates carry a subjectAltName for every host (IP: for
addresses, DNS: for names), which libpq's `sslmode=verify-full` checks. Key files are written
0600 (libpq refuses a client key that group or others may read). Raises RuntimeError with
openssl's output when a command fails.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import subprocess

DAYS = "2"


def _openssl(*args: str) -> None:
    res = subprocess.run(["openssl", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=60)
    if res.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed (exit {res.returncode}): "
                           f"{res.stderr.strip()[-2000:]}")


def _new_key(path: str) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    os.chmod(path, 0o600)


class ThrowawayCA:
    def __init__(self, directory: str, name: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.cert = os.path.join(directory, f"{name}.crt")
        self.key = os.path.join(directory, f"{name}.key")
        _new_key(self.key)
        # A random serial in the name too: two CAs of one run never look alike.
        _openssl("req", "-x509", "-new", "-key", self.key, "-out", self.cert, "-days", DAYS,
                 "-subj", f"/CN={name} {secrets.token_hex(4)}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _issue(self, stem: str, common_name: str, extensions: list[str]) -> tuple[str, str]:
        cert = os.path.join(self.directory, f"{stem}.crt")
        key = os.path.join(self.directory, f"{stem}.key")
        csr = os.path.join(self.directory, f"{stem}.csr")
        ext = os.path.join(self.directory, f"{stem}.ext")
        _new_key(key)
        _openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={common_name}")
        with open(ext, "w") as f:
            f.write("\n".join(["basicConstraints=CA:FALSE", *extensions]) + "\n")
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")), "-days", DAYS,
                 "-extfile", ext, "-out", cert)
        os.unlink(csr)
        os.unlink(ext)
        return cert, key

    def issue_server(self, stem: str, hosts=("127.0.0.1", "localhost")) -> tuple[str, str]:
        """(certificate, key) for a server reachable as each of `hosts`."""
        names = []
        for host in hosts:
            try:
                ipaddress.ip_address(host)
                names.append(f"IP:{host}")
            except ValueError:
                names.append(f"DNS:{host}")
        return self._issue(stem, hosts[0], [f"subjectAltName={','.join(names)}",
                                            "keyUsage=critical,digitalSignature,keyEncipherment",
                                            "extendedKeyUsage=serverAuth"])

    def issue_client(self, stem: str, common_name: str) -> tuple[str, str]:
        """(certificate, key) for a client; PostgreSQL's `cert` auth maps CN to the role."""
        return self._issue(stem, common_name, ["keyUsage=critical,digitalSignature",
                                               "extendedKeyUsage=clientAuth"])
