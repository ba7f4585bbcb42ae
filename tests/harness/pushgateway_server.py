"""Start a throwaway Prometheus Pushgateway, and read metrics back strictly.

    with PushgatewayServer() as gateway:
        env["PUSHGATEWAY_URL"] = gateway.url
        families = parse_exposition(gateway.metrics_text())

The Pushgateway is real: Debian's `prometheus-pushgateway` (1.5 on Debian 12) on 127.0.0.1 at a
port it binds itself (port 0, read back from its own listening socket: tests/harness/listening.py), without a persistence file (so every start is empty), its log in a temp dir. With
`tls=True` it serves HTTPS only (`--web.config.file` with `tls_server_config`), with a server
certificate for 127.0.0.1 from a CA made for this server (`ca_file`, tests/harness/throwaway_ca.py). A missing
binary raises PushgatewayError (a test failure, never a skip). `stop()` sends SIGTERM, then
SIGKILL after a grace period, and removes the temp dir.

`parse_exposition` is a strict reader of the Prometheus text format (version 0.0.4): every line is
a comment (`# HELP`, `# TYPE` or any other `#` text), blank, or a sample; a sample's family must
have been typed by a `# TYPE` line before its first sample (summary/histogram samples may end in
`_sum`, `_count`, `_bucket`), its samples must be contiguous, HELP and TYPE at most once per
family, names and label names valid, label values correctly escaped, no label repeated, no series
repeated, and the value a float (`NaN`, `+Inf`, `-Inf` included). Anything else raises
ExpositionError naming the line.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request

from listening import wait_for_listening_port
from managed_server import ManagedServer
from throwaway_ca import ThrowawayCA

START_TIMEOUT = 30
STOP_TIMEOUT = 10


class PushgatewayError(RuntimeError):
    """The Pushgateway could not be found or started."""


class ExpositionError(ValueError):
    """Text that is not valid Prometheus exposition format."""


def find_pushgateway() -> str:
    for candidate in (os.environ.get("ERP_TEST_PUSHGATEWAY"), shutil.which("prometheus-pushgateway"),
                      "/usr/bin/prometheus-pushgateway"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PushgatewayError("prometheus-pushgateway not found (hint: apt-get install "
                           "prometheus-pushgateway; scripts/install-test-deps.sh installs it)")


def find_promtool() -> str:
    for candidate in (os.environ.get("ERP_TEST_PROMTOOL"), shutil.which("promtool"), "/usr/bin/promtool"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PushgatewayError("promtool not found (hint: apt-get install prometheus; "
                           "scripts/install-test-deps.sh installs it)")


class PushgatewayServer(ManagedServer):
    """prometheus-pushgateway on 127.0.0.1; attributes after start(): port, url, workdir, log_path,
    and with tls=True ca_file (the PEM file of the CA that signed its certificate)."""

    log_label = "pushgateway"

    def __init__(self, tls: bool = False):
        self.program = find_pushgateway()
        self.tls = tls
        self.ca_file: str | None = None
        self._context: ssl.SSLContext | None = None
        self.port: int | None = None
        self.url: str | None = None
        self.workdir: str | None = None
        self.log_path: str | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="erp-pushgateway-")
        self.log_path = os.path.join(self.workdir, "pushgateway.log")
        arguments = []
        scheme = "http"
        if self.tls:
            ca = ThrowawayCA(os.path.join(self.workdir, "ca"), "erp-pushgateway-test-ca")
            cert, key = ca.issue_server("pushgateway", hosts=("127.0.0.1",))
            web_config = os.path.join(self.workdir, "web.yml")
            with open(web_config, "w", encoding="utf-8") as f:
                f.write(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
            arguments.append(f"--web.config.file={web_config}")
            self.ca_file = ca.cert
            self._context = ssl.create_default_context(cafile=ca.cert)
            scheme = "https"
        # Port 0: the Pushgateway binds a port the kernel picks (no race with other tests for a
        # probed port); its own listening socket says which, then /-/ready must answer there.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.program, "--web.listen-address=127.0.0.1:0", *arguments],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        self.port = wait_for_listening_port(self.process.pid, deadline,
                                            alive=lambda: self.process.poll() is None)
        if self.port is not None:
            self.url = f"{scheme}://127.0.0.1:{self.port}"
            if self._wait_ready(deadline):
                return
        raise PushgatewayError(f"the Pushgateway did not become ready; log:\n{self.log_text()[-3000:]}")

    def _wait_ready(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2, context=self._context) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)  # polling a readiness endpoint, not standing in for an event
        return False

    def _terminate(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self._terminate()
        self.remove_workdir()

    def metrics_text(self) -> str:
        with urllib.request.urlopen(self.url + "/metrics", timeout=10, context=self._context) as answer:
            return answer.read().decode("utf-8")

    def delete_group(self, path: str) -> None:
        """DELETE {url}/metrics/job/... (path starts with /metrics/)."""
        request = urllib.request.Request(self.url + path, method="DELETE")
        with urllib.request.urlopen(request, timeout=10, context=self._context) as answer:
            if answer.status not in (200, 202):
                raise PushgatewayError(f"DELETE {path} answered {answer.status}")


_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TYPES = {"counter", "gauge", "summary", "histogram", "untyped"}


def _parse_value(text: str, where: str) -> float:
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ExpositionError(f"{where}: value {text!r} is not a float")
    return float(text)


def _parse_labels(text: str, pos: int, where: str) -> tuple[dict, int]:
    labels: dict[str, str] = {}
    pos += 1  # '{'
    while True:
        if pos >= len(text):
            raise ExpositionError(f"{where}: unterminated label set")
        if text[pos] == "}":
            return labels, pos + 1
        match = _LABEL.match(text, pos)
        if not match or match.group(0).startswith("__"):
            raise ExpositionError(f"{where}: invalid label name at column {pos}")
        name = match.group(0)
        pos = match.end()
        if text[pos:pos + 2] != '="':
            raise ExpositionError(f"{where}: expected =\" after label {name}")
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise ExpositionError(f"{where}: unterminated value of label {name}")
            c = text[pos]
            pos += 1
            if c == '"':
                break
            if c == "\\":
                escaped = text[pos:pos + 1]
                pos += 1
                if escaped == "n":
                    value.append("\n")
                elif escaped in ("\\", '"'):
                    value.append(escaped)
                else:
                    raise ExpositionError(f"{where}: invalid escape \\{escaped} in label {name}")
            elif c == "\n":
                raise ExpositionError(f"{where}: raw newline in label {name}")
            else:
                value.append(c)
        if name in labels:
            raise ExpositionError(f"{where}: label {name} repeated")
        labels[name] = "".join(value)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "}":
            raise ExpositionError(f"{where}: expected , or }} after label {name}")


def parse_exposition(text: str) -> dict:
    """{family: {"type": str, "help": str|None, "samples": {(name, frozenset(labels)): value}}}."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text does not end with a newline")
    families: dict[str, dict] = {}
    finished: set[str] = set()  # families whose samples ended (another family's began)
    current: str | None = None
    for number, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        where = f"line {number}"
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not _NAME.fullmatch(name):
                    raise ExpositionError(f"{where}: invalid metric name {name!r}")
                family = families.setdefault(name, {"type": None, "help": None, "samples": {}})
                if family["samples"]:
                    raise ExpositionError(f"{where}: {parts[1]} of {name} after its samples")
                if parts[1] == "TYPE":
                    if family["type"] is not None:
                        raise ExpositionError(f"{where}: second TYPE for {name}")
                    if len(parts) != 4 or parts[3] not in _TYPES:
                        raise ExpositionError(f"{where}: invalid TYPE line")
                    family["type"] = parts[3]
                else:
                    if family["help"] is not None:
                        raise ExpositionError(f"{where}: second HELP for {name}")
                    help_text = parts[3] if len(parts) == 4 else ""
                    if re.search(r"\\[^n\\]", help_text):
                        raise ExpositionError(f"{where}: invalid escape in HELP of {name}")
                    family["help"] = help_text.replace("\\n", "\n").replace("\\\\", "\\")
            continue
        match = _NAME.match(line)
        if not match:
            raise ExpositionError(f"{where}: a sample must start with a metric name: {line!r}")
        name = match.group(0)
        pos = match.end()
        labels: dict[str, str] = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = _parse_labels(line, pos, where)
        if pos >= len(line) or line[pos] != " ":
            raise ExpositionError(f"{where}: expected a space before the value")
        fields = line[pos + 1:].split(" ")
        if len(fields) not in (1, 2):
            raise ExpositionError(f"{where}: expected a value and an optional timestamp")
        value = _parse_value(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ExpositionError(f"{where}: invalid timestamp {fields[1]!r}")
        family_name = name
        if name not in families:
            for suffix in ("_sum", "_count", "_bucket"):
                base = name[: -len(suffix)] if name.endswith(suffix) else None
                if base and base in families and families[base]["type"] in ("summary", "histogram"):
                    family_name = base
                    break
        family = families.get(family_name)
        if family is None or family["type"] is None:
            raise ExpositionError(f"{where}: sample of {name} without a TYPE line before it")
        if family_name != current:
            if family_name in finished:
                raise ExpositionError(f"{where}: samples of {family_name} are not contiguous")
            if current is not None:
                finished.add(current)
            current = family_name
        key = (name, frozenset(labels.items()))
        if key in family["samples"]:
            raise ExpositionError(f"{where}: series {name}{labels} repeated")
        family["samples"][key] = value
    return families


def sample(families: dict, name: str, **labels) -> float:
    """The value of the one series of `name` whose labels include `labels`; fails when none or several match."""
    family = families.get(name)
    if family is None:
        raise KeyError(f"no family {name}")
    found = [value for (sample_name, sample_labels), value in family["samples"].items()
             if sample_name == name and set(labels.items()) <= set(sample_labels)]
    if len(found) != 1:
        raise KeyError(f"{len(found)} series of {name} match {labels}")
    return found[0]

