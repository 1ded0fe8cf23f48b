namespace Trellis.Lab;

/// <summary>
/// The small python3 programs the lab runs inside its namespaces: the control plane nodes' stand-in for the API server, and
/// the outside client's connections through the VIPs. They are passed to <c>python3 -c</c>; their inputs are arguments.
/// </summary>
internal static class LabScripts
{
    /// <summary>
    /// The interpreter: Debian's, else whatever <c>python3</c> the PATH finds.
    /// </summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>
    /// A control plane node's API server stand-in: HTTPS on 0.0.0.0:6443 (the rendered HAProxy checks <c>GET /readyz</c> over
    /// TLS with <c>check-ssl verify none</c>), answering every GET with 200 and the node's name. Arguments: NAME CERT KEY.
    /// The TLS handshake happens in the connection's own thread, so that a client that stalls holds up no other.
    /// </summary>
    public const string ApiListener = """
        import http.server, ssl, sys
        name, cert, key = sys.argv[1:4]
        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 5
            def do_GET(self):
                body = (name + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = http.server.ThreadingHTTPServer(("0.0.0.0", 6443), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.serve_forever()
        """;

    /// <summary>
    /// The client's connections. <c>probe TARGETS</c>: one connection to each [address, port, "tls" or ""] of the JSON list, printing a
    /// JSON list of [outcome, detail]. <c>loop ADDRESS PORT TLS STOPFILE SECONDS</c>: a connection every 100 ms until STOPFILE
    /// exists or SECONDS have passed, printing one JSON line [elapsed seconds, outcome, detail] per connection. Outcomes:
    /// <c>answered</c> (a 200 over TLS, detail = the body; or bytes over TCP), <c>open</c> (TCP connected, nothing said within
    /// 1 s), <c>closed</c> (connected, then closed without an answer), <c>refused</c>, <c>unreachable</c> (no connection in time).
    /// </summary>
    public const string Client = """
        import json, os, socket, ssl, sys, time
        def once(address, port, tls, timeout):
            try:
                s = socket.create_connection((address, int(port)), timeout=timeout)
            except ConnectionRefusedError:
                return ["refused", ""]
            except OSError as e:
                return ["unreachable", str(e)]
            try:
                if tls:
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    s = context.wrap_socket(s)
                    s.sendall(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    status = head.split(b" ")[1:2]
                    if status == [b"200"]:
                        return ["answered", body.decode(errors="replace").strip()]
                    return ["closed", head.decode(errors="replace").split("\r\n")[0]]
                s.settimeout(1.0)
                try:
                    chunk = s.recv(512)
                except socket.timeout:
                    return ["open", ""]
                return ["answered", chunk.decode(errors="replace").strip()] if chunk else ["closed", ""]
            except (ssl.SSLError, OSError) as e:
                return ["closed", str(e)]
            finally:
                s.close()
        if sys.argv[1] == "probe":
            print(json.dumps([once(a, p, t == "tls", 2.0) for a, p, t in json.loads(sys.argv[2])]))
        else:
            address, port, tls, stop, seconds = sys.argv[2], sys.argv[3], sys.argv[4] == "tls", sys.argv[5], float(sys.argv[6])
            start = time.monotonic()
            while time.monotonic() - start < seconds and not os.path.exists(stop):
                at = time.monotonic() - start
                print(json.dumps([round(at, 3)] + once(address, port, tls, 0.5)), flush=True)
                time.sleep(0.1)
        """;
}
