#!/usr/bin/env python3
"""Test peer (not product code): a loopback HTTP server standing in for EBS and for a webhook.

    http_peer.py --log LOG --answer ANSWER.json [--slow-s N] [--max-s N]

Binds 127.0.0.1 on a free port and prints the port on its first line of stdout. Every request is
appended to LOG as one JSON line (method, path, query, authorization, body). By path:
  /ebs/ok            200 with ANSWER (the posted-charges JSON)
  /ebs/slow          waits --slow-s seconds, then 200
  /ebs/flaky         503 on the first two requests, 200 after
  /ebs/down          503 always
  /ebs/unauthorized  401 with {"error": {"code": "TOKEN_EXPIRED"}}
  /ebs/forbidden     403 without a known code
  /ebs/drop          closes the connection without answering
  /ebs/garbage       200 with a body that is not JSON
  /hook              (POST) 204; the body is in LOG
The server stops by itself after --max-s seconds (a safety net; tests stop it first).
"""
import argparse, json, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

p = argparse.ArgumentParser()
p.add_argument("--log", required=True)
p.add_argument("--answer", required=True)
p.add_argument("--slow-s", type=float, default=5)
p.add_argument("--max-s", type=float, default=600)
a = p.parse_args()
answer = open(a.answer, "rb").read()
lock = threading.Lock()
counts = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, body):
        u = urlsplit(self.path)
        with lock:
            counts[u.path] = counts.get(u.path, 0) + 1
            n = counts[u.path]
            with open(a.log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": u.path, "query": u.query,
                                    "authorization": self.headers.get("Authorization"),
                                    "content_type": self.headers.get("Content-Type"),
                                    "body": body.decode("utf-8", "replace")}) + "\n")
        return u.path, n

    def send(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, n = self.record(b"")
        if path == "/ebs/ok":
            self.send(200, answer)
        elif path == "/ebs/slow":
            time.sleep(a.slow_s)
            self.send(200, answer)
        elif path == "/ebs/flaky":
            if n <= 2:
                self.send(503, b'{"error": {"code": "MAINTENANCE", "message": "back soon"}}')
            else:
                self.send(200, answer)
        elif path == "/ebs/down":
            self.send(503, b"{}")
        elif path == "/ebs/unauthorized":
            self.send(401, b'{"error": {"code": "TOKEN_EXPIRED", "message": "token expired"}}')
        elif path == "/ebs/forbidden":
            self.send(403, b"no")
        elif path == "/ebs/drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            self.close_connection = True
        elif path == "/ebs/garbage":
            self.send(200, b"<html>login page</html>", "text/html")
        else:
            self.send(404, b'{"error": {"code": "NOT_FOUND"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path, _ = self.record(body)
        if path == "/hook":
            self.send(204)
        else:
            self.send(404)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Timer(a.max_s, server.shutdown).start()
server.serve_forever()
