#!/usr/bin/env python3
"""Resolve a workflow through a running `latchkey serve`, with only the
standard library: http.client over the agent's unix socket.

    python3 resolve.py /run/latchkey/latchkey.sock workflow.yaml

Prints each field as NAME=VALUE (binary values as base64). On failure it
prints the agent's message, which lists every failed field, and exits 4.
"""
import base64
import http.client
import json
import os
import socket
import sys
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection over a unix socket instead of TCP."""

    def __init__(self, path, timeout=60):
        super().__init__("latchkey", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def resolve(socket_path, workflow_path):
    with open(workflow_path, "rb") as f:
        doc = f.read()
    conn = UnixHTTPConnection(socket_path)
    # name= makes the agent's errors name the file, and picks its format.
    query = urllib.parse.urlencode({"name": os.path.basename(workflow_path)})
    conn.request("POST", "/v1/resolve?" + query, body=doc)
    resp = conn.getresponse()
    body = json.load(resp)
    conn.close()
    if resp.status != 200:
        raise RuntimeError(body["error"]["message"])
    out = {}
    for field in body["fields"]:
        if "value_base64" in field:
            out[field["name"]] = base64.b64decode(field["value_base64"])
        else:
            out[field["name"]] = field["value"]
    return out


if __name__ == "__main__":
    try:
        fields = resolve(sys.argv[1], sys.argv[2])
    except RuntimeError as e:
        print("latchkey:", e, file=sys.stderr)
        sys.exit(4)
    for name, value in fields.items():
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        print(f"{name}={value}")
