#!/usr/bin/env python3
"""A Terraform HTTP state backend, written from Terraform's documented protocol, for the tests
of provision's HTTP state backend (tests/pg/pg_state_e2e_test.cpp).

Every path is a state address:
  GET     the stored document (200), or 404 when there is none
  POST    stores the body (also PUT); while the state is locked, the request's `ID` query
          parameter must be the lock's ID, else 409 with the lock info
  DELETE  removes the document; while the state is locked the `ID` query parameter must be
          the lock's ID, else 409 with the lock info (as GitLab checks it)
  LOCK    takes the lock with the lock-info JSON body: 200, or 423 with the holder's lock info
  UNLOCK  releases it when the body's ID is the holder's (or the body is empty): 200, else 409

Usage: tf_state_server.py [--user USER --password PASSWORD] (basic authentication then required,
401 otherwise). Listens on a free loopback port and prints it on the first line of stdout.
"""

import argparse
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATES = {}
LOCKS = {}
GUARD = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    credentials = None

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _authorized(self):
        if Handler.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(Handler.credentials.encode()).decode()
        if self.headers.get("Authorization") == expected:
            return True
        self._body()
        self._answer(401, b'{"message":"401 Unauthorized"}')
        return False

    def _address(self):
        return urlsplit(self.path).path

    def do_GET(self):
        if not self._authorized():
            return
        with GUARD:
            document = STATES.get(self._address())
        if document is None:
            self._answer(404, b'{"message":"404 Not Found"}')
        else:
            self._answer(200, document)

    def do_POST(self):
        if not self._authorized():
            return
        body = self._body()
        address = self._address()
        lock_id = parse_qs(urlsplit(self.path).query).get("ID", [None])[0]
        with GUARD:
            held = LOCKS.get(address)
            if held is not None and held.get("ID") != lock_id:
                self._answer(409, json.dumps(held).encode())
                return
            STATES[address] = body
        self._answer(200)

    do_PUT = do_POST

    def do_DELETE(self):
        if not self._authorized():
            return
        self._body()
        address = self._address()
        lock_id = parse_qs(urlsplit(self.path).query).get("ID", [None])[0]
        with GUARD:
            held = LOCKS.get(address)
            if held is not None and held.get("ID") != lock_id:
                self._answer(409, json.dumps(held).encode())
                return
            STATES.pop(address, None)
        self._answer(200)

    def do_LOCK(self):
        if not self._authorized():
            return
        body = self._body()
        try:
            info = json.loads(body)
        except ValueError:
            self._answer(400, b'{"message":"the lock info is not JSON"}')
            return
        with GUARD:
            held = LOCKS.get(self._address())
            if held is not None:
                self._answer(423, json.dumps(held).encode())
                return
            LOCKS[self._address()] = info
        self._answer(200)

    def do_UNLOCK(self):
        if not self._authorized():
            return
        body = self._body()
        info = json.loads(body) if body else {}
        with GUARD:
            held = LOCKS.get(self._address())
            if held is not None and info and info.get("ID") != held.get("ID"):
                self._answer(409, json.dumps(held).encode())
                return
            LOCKS.pop(self._address(), None)
        self._answer(200)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    if args.user is not None:
        Handler.credentials = args.user + ":" + (args.password or "")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
