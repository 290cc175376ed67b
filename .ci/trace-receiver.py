#!/usr/bin/env python3
"""A small local trace receiver for `make run` (POSTECH_TRACING=1), standing in for Jaeger.

Usage: trace-receiver.py PORT

On 127.0.0.1:PORT it takes OTLP/HTTP exports (`POST /v1/traces`, protobuf: what the postech
processes send when OTEL_EXPORTER_OTLP_ENDPOINT names it) and shows what it received:

* `GET /`            the latest traces, newest first, each as its tree of spans with their
                     durations and attributes (a page to open in a browser);
* `GET /api/spans`   every span kept, as JSON (name, trace and span ids, parent, service,
                     attributes) — what the run command's smoke test reads.

It keeps the last 5000 spans in memory, nothing on disk. Jaeger itself is not packaged by any
registry this project installs from; in the cluster it is (postech-kubernetes-infra).
"""

from __future__ import annotations

import html
import json
import sys
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

KEPT_SPANS = 5000
spans: "OrderedDict[str, dict]" = OrderedDict()
lock = threading.Lock()


def value_of(any_value) -> object:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(pairs) -> dict:
    return {pair.key: value_of(pair.value) for pair in pairs}


def keep(request: ExportTraceServiceRequest) -> None:
    with lock:
        for resource in request.resource_spans:
            service = attributes(resource.resource.attributes).get("service.name", "?")
            for scope in resource.scope_spans:
                for span in scope.spans:
                    record = {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "name": span.name,
                        "service": service,
                        "start_ns": span.start_time_unix_nano,
                        "duration_ms": (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6,
                        "attributes": attributes(span.attributes),
                    }
                    spans[record["span_id"]] = record
        while len(spans) > KEPT_SPANS:
            spans.popitem(last=False)


def page() -> str:
    with lock:
        kept = list(spans.values())
    traces: dict[str, list[dict]] = {}
    for span in kept:
        traces.setdefault(span["trace_id"], []).append(span)

    def tree(trace: list[dict], parent: str) -> str:
        children = sorted((s for s in trace if s["parent_span_id"] == parent), key=lambda s: s["start_ns"])
        if not children:
            return ""
        items = "".join(
            f"<li><b>{html.escape(s['name'])}</b> {s['duration_ms']:.2f} ms <small>{html.escape(s['service'])} "
            f"{html.escape(json.dumps(s['attributes'], default=str))}</small>{tree(trace, s['span_id'])}</li>"
            for s in children
        )
        return f"<ul>{items}</ul>"

    newest = sorted(traces.values(), key=lambda trace: -min(s["start_ns"] for s in trace))[:50]
    known = {s["span_id"] for s in kept}
    body = "".join(
        # Roots: no parent, or a parent this receiver never saw (the caller's span).
        f"<h3>trace {trace[0]['trace_id']}</h3>"
        + "".join(tree(trace, parent) for parent in {s["parent_span_id"] for s in trace if s["parent_span_id"] not in known})
        for trace in newest
    )
    return f"<!doctype html><title>postech traces</title><h1>postech traces (latest 50)</h1>{body or '<p>none yet</p>'}"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        keep(request)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        if self.path == "/api/spans":
            with lock:
                text = json.dumps(list(spans.values()), default=str)
            kind = "application/json"
        elif self.path == "/":
            text, kind = page(), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        data = text.encode("utf-8")
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass  # one line per export would drown the run's log


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
