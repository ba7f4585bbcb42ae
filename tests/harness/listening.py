"""Which TCP port a server process we started listens on, read from /proc: proof that it is ours.

Picking a free port, closing it and handing it to a server races every other test under
`ctest -j2`: another server can bind it first, and a readiness check that only asks "does
something answer on that port?" then accepts the other process. So the launchers here start
their servers on port 0 where the server allows it (the kernel picks a port the server already
holds) and learn the port from the server's own listening socket; where a server needs the port
named up front (PostgreSQL, pgbouncer), they pick one, retry on a bind failure, and accept the
server only once its own process is seen listening on that port.

    port = wait_for_listening_port(proc.pid, deadline, alive=lambda: proc.poll() is None)

Linux only (/proc/<pid>/fd and /proc/<pid>/net/tcp{,6}); the test machines are Debian.
"""

from __future__ import annotations

import os
import time


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return inodes  # the process is gone (or not ours to read)
    for name in names:
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def listening_ports(pid: int) -> set[int]:
    """The TCP ports (IPv4 and IPv6) on which process `pid` holds a socket in LISTEN state."""
    inodes = _socket_inodes(pid)
    ports: set[int] = set()
    if not inodes:
        return ports
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}", encoding="ascii") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:  # 0A = TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def wait_for_listening_port(pid: int, deadline: float, alive=lambda: True, port: int | None = None) -> int | None:
    """Polls /proc until process `pid` listens on a TCP port (on `port`, when given), and returns
    it; None once alive() turns false or time.monotonic() passes `deadline`. A process that
    listens on several ports must be asked for a specific one."""
    while time.monotonic() < deadline and alive():
        ports = listening_ports(pid)
        if port is not None and port in ports:
            return port
        if port is None and len(ports) == 1:
            return next(iter(ports))
        if port is None and len(ports) > 1:
            raise RuntimeError(f"process {pid} listens on several ports {sorted(ports)}; name the one to wait for")
        time.sleep(0.02)  # polling the kernel's socket table, bounded by the deadline
    return None
