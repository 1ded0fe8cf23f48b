# The lab's workload pod program (docs/lab.md), run inside a pod's namespace by trellis lab:
#   listen [--name NAME] PROTO:PORT ...  bind every port (TCP and SCTP: accept, say NAME and a newline, close; UDP: echo
#                                each datagram), print "nosctp PORT" for an SCTP port the kernel cannot open, then
#                                "ready"; serve until killed.
#   connect PROTO:ADDRESS:PORT ...  one connection each (TCP/SCTP connect, UDP one datagram echoed back), 1 s timeout,
#                                at most 8 at a time; print "PROTO:ADDRESS:PORT ok" or "... fail" for each.
import os
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 1.0
PARALLEL = 8


def kind(proto):
    if proto == "udp":
        return socket.SOCK_DGRAM, socket.IPPROTO_UDP
    if proto == "sctp":
        return socket.SOCK_STREAM, getattr(socket, "IPPROTO_SCTP", 132)
    return socket.SOCK_STREAM, socket.IPPROTO_TCP


def serve_stream(s, name):
    while True:
        try:
            c, _ = s.accept()
            try:
                if name:
                    c.sendall((name + "\n").encode())
            finally:
                c.close()
        except OSError:
            pass


def serve_datagram(s):
    while True:
        try:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
        except OSError:
            pass


def listen(specs):
    name = ""
    if len(specs) >= 2 and specs[0] == "--name":
        name, specs = specs[1], specs[2:]
    threads = []
    for spec in specs:
        proto, port = spec.split(":")
        socktype, number = kind(proto)
        try:
            s = socket.socket(socket.AF_INET, socktype, number)
        except OSError:
            if proto == "sctp":
                print("nosctp " + port, flush=True)
                continue
            raise
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(port)))
        if socktype == socket.SOCK_STREAM:
            s.listen(64)
            threads.append(threading.Thread(target=serve_stream, args=(s, name), daemon=True))
        else:
            threads.append(threading.Thread(target=serve_datagram, args=(s,), daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    threading.Event().wait()


def connect_one(spec):
    proto, address, port = spec.split(":")
    socktype, number = kind(proto)
    try:
        s = socket.socket(socket.AF_INET, socktype, number)
    except OSError:
        return spec + " unsupported"
    s.settimeout(TIMEOUT)
    try:
        if socktype == socket.SOCK_DGRAM:
            s.connect((address, int(port)))
            s.send(b"trellis-lab")
            return spec + (" ok" if s.recv(2048) == b"trellis-lab" else " fail")
        s.connect((address, int(port)))
        return spec + " ok"
    except OSError:
        return spec + " fail"
    finally:
        s.close()


def connect(specs):
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for line in pool.map(connect_one, specs):
            print(line, flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "listen":
        listen(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "connect":
        connect(sys.argv[2:])
    else:
        print("usage: listen [--name NAME] PROTO:PORT ... | connect PROTO:ADDRESS:PORT ...", file=sys.stderr)
        sys.exit(2)
