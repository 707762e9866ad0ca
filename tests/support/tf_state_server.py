#!/usr/bin/env python3
"""A Terraform HTTP state backend, written from Terraform's documented protocol, for the tests
of provision's HTTP state backend (tests/e2e/http_state_e2e_test.cpp).

Every path is a state address:
  GET     the stored document (200), or 404 when there is none
  POST    stores the body (also PUT); while the state is locked, the request's `ID` query
          parameter must be the lock's ID, else 409 with the lock info
  DELETE  removes the document; while the state is locked the `ID` query parameter must be
          the lock's ID, else 409 with the lock info
  LOCK    takes the lock with the lock-info JSON body: 200, or 423 with the holder's lock info
  UNLOCK  releases it when the body's ID is the holder's (or the body is empty): 200, else 409

--gitlab behaves as GitLab-managed Terraform state does (GitLab's lib/api/terraform/state.rb
and app/services/terraform/remote_state_handler.rb): the lock is `<address>/lock`, taken with
POST and released with DELETE (LOCK and UNLOCK are not routes: 405);
  POST /lock    every lock-info field (ID, Operation, Info, Who, Version, Created, Path) must
                be a string, else 400; creates the state's record; 200, or 409 when locked,
                both with a lock info whose ID, Who (the GitLab user: the basic-auth user name)
                and Created (the server's time) are the held lock's, the rest the request's
  DELETE /lock  the ID from the JSON body (or the query); a different ID: 409; none: released
                anyway (what `terraform force-unlock` sends); no state record: 404
  GET           404 without a state record, 204 for a record with no document yet (a lock
                taken before the first write), else 200
  POST          an empty body: 204; the `ID` query parameter must be the lock's ID (and absent
                when unlocked), else 409
  DELETE        removes the record with its lock, whoever holds it; 404 without one

Options: --user USER --password PASSWORD (basic authentication required, 401 otherwise),
--gitlab, --tls-cert PEM --tls-key PEM (HTTPS), --delay-get SECONDS (every GET answered that
late: for timeout tests). Listens on a free loopback port and prints it on the first line of
stdout.
"""

import argparse
import base64
import datetime
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATES = {}
LOCKS = {}
RECORDS = set()  # --gitlab: the states that have a record (made by a lock or a write)
GUARD = threading.Lock()
LOCK_FIELDS = ("ID", "Operation", "Info", "Who", "Version", "Created", "Path")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    credentials = None
    gitlab = False
    delay_get = 0.0

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

    def _lock_id(self):
        return parse_qs(urlsplit(self.path).query).get("ID", [None])[0]

    def _user(self):
        return Handler.credentials.split(":", 1)[0] if Handler.credentials else "anonymous"

    def do_GET(self):
        if not self._authorized():
            return
        if Handler.delay_get:
            time.sleep(Handler.delay_get)
        with GUARD:
            document = STATES.get(self._address())
            recorded = self._address() in RECORDS
        if Handler.gitlab and document is None and recorded:
            self._answer(204)
        elif document is None:
            self._answer(404, b'{"message":"404 Not Found"}')
        else:
            self._answer(200, document)

    def do_POST(self):
        if not self._authorized():
            return
        body = self._body()
        address = self._address()
        lock_id = self._lock_id()
        if Handler.gitlab:
            self._gitlab_post(address, body, lock_id)
            return
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
        body = self._body()
        address = self._address()
        lock_id = self._lock_id()
        if Handler.gitlab:
            self._gitlab_delete(address, body, lock_id)
            return
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
        if Handler.gitlab:
            self._answer(405, b'{"error":"405 Not Allowed"}')
            return
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
        if Handler.gitlab:
            self._answer(405, b'{"error":"405 Not Allowed"}')
            return
        info = json.loads(body) if body else {}
        with GUARD:
            held = LOCKS.get(self._address())
            if held is not None and info and info.get("ID") != held.get("ID"):
                self._answer(409, json.dumps(held).encode())
                return
            LOCKS.pop(self._address(), None)
        self._answer(200)


    # GitLab-managed Terraform state (--gitlab).

    def _gitlab_post(self, address, body, lock_id):
        if address.endswith("/lock"):
            self._gitlab_lock(address[: -len("/lock")], body)
            return
        if not body:
            self._answer(204)
            return
        with GUARD:
            held = LOCKS.get(address)
            if (held.get("ID") if held else None) != lock_id:
                self._answer(409, b'{"message":"409 Conflict"}')
                return
            RECORDS.add(address)
            STATES[address] = body
        self._answer(200)

    def _gitlab_lock(self, state, body):
        try:
            info = json.loads(body)
        except ValueError:
            info = None
        missing = [f for f in LOCK_FIELDS if not isinstance(info, dict) or
                   not isinstance(info.get(f), str)]
        if missing:
            self._answer(400, json.dumps({"error": missing[0] + " is missing"}).encode())
            return
        with GUARD:
            RECORDS.add(state)
            held = LOCKS.get(state)
            status = 409 if held is not None else 200
            if held is None:
                held = {"ID": info["ID"], "Who": self._user(),
                        "Created": datetime.datetime.now(datetime.timezone.utc)
                        .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
                LOCKS[state] = held
        answer = {"Operation": info["Operation"], "Info": info["Info"],
                  "Version": info["Version"], "Path": info["Path"],
                  "ID": held["ID"], "Who": held["Who"], "Created": held["Created"]}
        self._answer(status, json.dumps(answer).encode())

    def _gitlab_delete(self, address, body, lock_id):
        if address.endswith("/lock"):
            state = address[: -len("/lock")]
            try:
                info = json.loads(body) if body else {}
            except ValueError:
                info = {}
            wanted = info.get("ID", lock_id) if isinstance(info, dict) else lock_id
            with GUARD:
                if state not in RECORDS:
                    self._answer(404, b'{"message":"404 Not Found"}')
                    return
                held = LOCKS.get(state)
                if wanted is not None and (held.get("ID") if held else None) != wanted:
                    self._answer(409)
                    return
                LOCKS.pop(state, None)
            self._answer(200)
            return
        with GUARD:
            if address not in RECORDS:
                self._answer(404, b'{"message":"404 Not Found"}')
                return
            RECORDS.discard(address)
            STATES.pop(address, None)
            LOCKS.pop(address, None)
        self._answer(200)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--gitlab", action="store_true")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--delay-get", type=float, default=0.0)
    args = parser.parse_args()
    if args.user is not None:
        Handler.credentials = args.user + ":" + (args.password or "")
    Handler.gitlab = args.gitlab
    Handler.delay_get = args.delay_get
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
