"""The wires under the collectives: TCP sockets between every pair of processes.

`rendezvous(...)` is how `world_size` processes that know only one address (MASTER_ADDR and
MASTER_PORT) find each other, in three moves:

    1. rank 0 listens on MASTER_ADDR:MASTER_PORT; every other rank connects to it (retrying
       until rank 0 is up), opens a listening socket of its own on a free port, and says
       "I am rank r of a world of W; reach me at host:port";
    2. rank 0, once all W - 1 have called in, sends everyone the table of addresses;
    3. each rank r connects to every rank 1..r-1 and accepts a connection from every rank
       r+1..W-1, so that every pair (i, j) shares exactly one socket: a full mesh.

PyTorch runs a key-value server (`TCPStore`) on rank 0 for step 1-2 and lets gloo make its
own connections; the idea is the same. The messages of the rendezvous are small JSON dicts:
nothing that is received here can run code. (The `*_object` collectives use pickle, as
PyTorch's do: they trust the peers, which are your own processes.)

Every message on a socket is framed as 8 bytes of little-endian length, then the bytes. The
receiver of a tensor knows how many bytes it expects, so a mismatch (ranks that pass tensors
of different shapes) is an error that says so, not a hang or garbage.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

__all__ = ["DistBackendError", "Mesh", "rendezvous"]

HEADER = struct.Struct("<Q")  # the length of the message that follows
RETRY_SECONDS = 0.05  # how often a rank retries connecting to a peer that is not up yet


class DistBackendError(RuntimeError):
    """A collective failed in the transport: a peer went away, or a time out (PyTorch's
    name, a RuntimeError as there)."""


def _tune(sock: socket.socket, timeout: float) -> socket.socket:
    # TCP_NODELAY: send small messages at once. Without it Nagle's algorithm holds a small
    # send back until the previous one is acknowledged, which can cost 40 ms per message.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(timeout)
    return sock


class Channel:
    """One socket to one peer, with framed messages and errors that name the peer."""

    def __init__(self, sock: socket.socket, peer: int, timeout: float) -> None:
        self.sock = _tune(sock, timeout)
        self.peer = peer
        self.timeout = timeout

    def _fail(self, what: str, error: BaseException) -> DistBackendError:
        if isinstance(error, TimeoutError):
            return DistBackendError(f"timed out after {self.timeout:g} s while waiting to "
                                    f"{what} rank {self.peer} (is every rank calling the "
                                    "same collectives in the same order?)")
        return DistBackendError(f"failed to {what} rank {self.peer}: {error}")

    def send(self, data: memoryview | bytes) -> None:
        """Send one framed message: its length, then its bytes."""
        try:
            self.sock.sendall(HEADER.pack(len(data)))
            self.sock.sendall(data)
        except OSError as error:
            raise self._fail("send to", error) from error

    def _read_exactly(self, view: memoryview) -> None:
        filled = 0
        while filled < len(view):
            try:
                count = self.sock.recv_into(view[filled:])
            except OSError as error:
                raise self._fail("receive from", error) from error
            if count == 0:
                raise DistBackendError(f"connection closed by rank {self.peer} (did that "
                                       "process fail or exit early?)")
            filled += count

    def _read_length(self) -> int:
        header = bytearray(HEADER.size)
        self._read_exactly(memoryview(header))
        return HEADER.unpack(header)[0]

    def recv_into(self, view: memoryview) -> None:
        """Receive one message into `view`, which must be exactly the message's size."""
        length = self._read_length()
        if length != len(view):
            raise DistBackendError(f"rank {self.peer} sent {length} bytes where {len(view)} "
                                   "were expected: do all ranks pass tensors of the same "
                                   "shape and dtype?")
        self._read_exactly(view)

    def recv_bytes(self) -> bytes:
        """Receive one message of any length (pickled objects, rendezvous messages)."""
        data = bytearray(self._read_length())
        self._read_exactly(memoryview(data))
        return bytes(data)

    def send_json(self, message: dict) -> None:
        self.send(json.dumps(message).encode())

    def recv_json(self) -> dict:
        return json.loads(self.recv_bytes().decode())

    def close(self) -> None:
        self.sock.close()


class Mesh:
    """The channels of one process to all the others, and point-to-point moves over them."""

    def __init__(self, rank: int, world_size: int, channels: dict[int, Channel]) -> None:
        self.rank = rank
        self.world_size = world_size
        self.channels = channels
        # one helper thread sends while the caller receives (see exchange)
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tgedu-send")

    def send(self, dst: int, data: memoryview | bytes) -> None:
        self.channels[dst].send(data)

    def recv_into(self, src: int, view: memoryview) -> None:
        self.channels[src].recv_into(view)

    def recv_bytes(self, src: int) -> bytes:
        return self.channels[src].recv_bytes()

    def exchange(self, dst: int, outgoing: memoryview, src: int, incoming: memoryview) -> None:
        """Send `outgoing` to dst while receiving `incoming` from src, at the same time.

        In a ring every rank sends and receives in the same step. If all of them sent first
        with a blocking call, a message bigger than the kernel's socket buffers (a few hundred
        KB) would block every sender and nobody would ever receive: a deadlock. So the send
        runs on a helper thread; it has finished when this returns, so the caller may change
        `outgoing` again.
        """
        pending = self._sender.submit(self.send, dst, outgoing)
        try:
            self.recv_into(src, incoming)
        finally:
            pending.result()  # re-raises a failed send here

    def close(self) -> None:
        self._sender.shutdown(wait=False)
        for channel in self.channels.values():
            channel.close()
        self.channels = {}


def _connect(host: str, port: int, deadline: float, timeout: float) -> socket.socket:
    """Connect to host:port, retrying while the peer is not listening yet."""
    while True:
        try:
            return socket.create_connection((host, port), timeout=max(RETRY_SECONDS, 1.0))
        except OSError as error:
            if time.monotonic() >= deadline:
                raise DistBackendError(f"The client socket has timed out after {timeout:g}s "
                                       f"while trying to connect to ({host}, {port}): "
                                       f"{error}") from error
            time.sleep(RETRY_SECONDS)


def _listen(host: str, port: int) -> socket.socket:
    try:
        # create_server sets SO_REUSEADDR, so a port freed a moment ago can be bound again
        return socket.create_server((host, port), backlog=128)
    except OSError as error:
        raise DistBackendError(f"The server socket has failed to listen on {host}:{port}: "
                               f"{error}") from error


def _accept(server: socket.socket, deadline: float, joined: int, expected: int,
            timeout: float) -> tuple[socket.socket, str]:
    server.settimeout(max(0.0, deadline - time.monotonic()))
    try:
        sock, address = server.accept()
    except TimeoutError as error:
        raise DistBackendError(f"Timed out after {timeout:g} seconds waiting for clients. "
                               f"{joined}/{expected} clients joined.") from error
    return sock, address[0]


def rendezvous(host: str, port: int, rank: int, world_size: int, timeout: float) -> Mesh:
    """Connect `world_size` processes into a full mesh of sockets (see the module docstring)."""
    deadline = time.monotonic() + timeout
    if world_size == 1:
        return Mesh(rank, world_size, {})
    if rank == 0:
        return _rendezvous_master(host, port, world_size, deadline, timeout)
    master = Channel(_connect(host, port, deadline, timeout), 0, timeout)
    own_host = master.sock.getsockname()[0]  # the address rank 0 reaches us at
    listener = _listen(own_host, 0)
    try:
        master.send_json({"rank": rank, "world_size": world_size, "host": own_host,
                          "port": listener.getsockname()[1]})
        reply = master.recv_json()
        if "error" in reply:
            raise ValueError(reply["error"])
        table = {int(r): (h, p) for r, (h, p) in reply["table"].items()}
        channels = {0: master}
        for lower in range(1, rank):  # connect down to 1..rank-1
            peer_host, peer_port = table[lower]
            channel = Channel(_connect(peer_host, peer_port, deadline, timeout), lower, timeout)
            channel.send_json({"rank": rank})
            channels[lower] = channel
        for joined in range(world_size - 1 - rank):  # accept rank+1..W-1
            sock, _ = _accept(listener, deadline, joined, world_size - 1 - rank, timeout)
            channel = Channel(sock, -1, timeout)
            channel.peer = int(channel.recv_json()["rank"])
            channels[channel.peer] = channel
    finally:
        listener.close()
    return Mesh(rank, world_size, channels)


def _rendezvous_master(host: str, port: int, world_size: int, deadline: float,
                       timeout: float) -> Mesh:
    """Rank 0's side: take every other rank's call, then send out the address table."""
    server = _listen(host, port)
    channels: dict[int, Channel] = {}
    table: dict[int, tuple[str, int]] = {}
    try:
        while len(channels) < world_size - 1:
            sock, _ = _accept(server, deadline, len(channels), world_size - 1, timeout)
            channel = Channel(sock, -1, timeout)
            hello = channel.recv_json()
            peer = int(hello["rank"])
            channel.peer = peer
            problem = None
            if int(hello["world_size"]) != world_size:
                problem = (f"rank {peer} was started with world_size={hello['world_size']}, "
                           f"rank 0 with world_size={world_size}")
            elif not 0 < peer < world_size or peer in channels:
                problem = f"rank {peer} is out of range or taken twice (world_size={world_size})"
            if problem is not None:
                channel.send_json({"error": problem})
                channel.close()
                raise ValueError(problem)
            channels[peer] = channel
            table[peer] = (hello["host"], int(hello["port"]))
    finally:
        server.close()
    for channel in channels.values():
        channel.send_json({"table": {str(r): list(address) for r, address in table.items()}})
    return Mesh(0, world_size, channels)
