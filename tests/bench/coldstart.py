#!/usr/bin/env python3
"""Cold-start benchmark of every function's release binary, as packaged.

For each function, RUNS times: exec the binary against a local stand-in of the
Lambda runtime API and measure
  - init:  exec → its first `GET .../invocation/next` (what Lambda bills as Init),
  - first: exec → the answer to one representative invocation, posted back,
  - peak:  the process's peak resident memory (VmHWM) once it has answered,
next to an empty lambda_runtime binary (`coldstart-baseline`) built the same way.

The representative invocations (REQUESTS below) run against the local stack
(`devstack`: the AWS emulator with the demo data, the pagoPA simulator), started
by this script from the binary given with --stack. Without --stack only `init`
is measured.

With --before DIR, the binaries in DIR are measured in the same run,
interleaved with the current ones, and both are printed side by side.

Usage: coldstart.py [--runs N] [--stack BIN] [--before DIR] DIR
  (DIR = target/lambda, with <name>/bootstrap or <name>/bootstrap.zip)
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADMIN_KEY = "bench-admin-key"


class Invocation:
    """What the stand-in saw of one process."""

    def __init__(self, event):
        self.event = event
        self.start = time.perf_counter()
        self.first_poll = None
        self.answered = None
        self.answer = None
        self.error = None
        self.peak_kib = None
        self.pid = None
        self.done = threading.Event()
        self.seen = []


CURRENT = {"inv": None}
LOCK = threading.Lock()


def peak_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RuntimeApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        inv = CURRENT["inv"]
        if inv is not None:
            inv.seen.append(("GET", self.path))
        if not self.path.endswith("/invocation/next"):
            return self.reply(404, b"")
        if inv is None:
            time.sleep(30)  # a process being killed: never answered
            return self.reply(404, b"")
        with LOCK:
            first = inv.first_poll is None
            if first:
                inv.first_poll = time.perf_counter()
        # A poll while the event is unanswered gets it (again): lambda_runtime
        # polls anew when it lost the previous answer.
        if inv.event is not None and inv.answered is None:
            body = json.dumps(inv.event).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-request")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
            self.send_header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-south-1:123456789012:function:bench",
            )
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if first:
            inv.done.set()
        # Never answer a second poll: the process is killed by then.
        time.sleep(5)
        self.reply(404, b"")

    def do_POST(self):
        inv = CURRENT["inv"]
        if inv is not None:
            inv.seen.append(("POST", self.path, self.headers.get("Content-Length"), self.headers.get("Transfer-Encoding")))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if inv is not None and "/invocation/" in self.path:
            inv.answered = time.perf_counter()
            inv.peak_kib = peak_kib(inv.pid)
            if self.path.endswith("/error"):
                inv.error = body.decode(errors="replace")
            else:
                inv.answer = body
            inv.done.set()
        self.reply(202, b"")

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def binary(dirpath, name, scratch):
    plain = os.path.join(dirpath, name, "bootstrap")
    if os.path.exists(plain):
        return plain
    z = os.path.join(dirpath, name, "bootstrap.zip")
    out = os.path.join(scratch, os.path.basename(dirpath.rstrip("/")) + "-" + name)
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(z) as f:
        f.extractall(out)
    path = os.path.join(out, "bootstrap")
    os.chmod(path, 0o755)
    return path


def zipped_size(dirpath, name):
    z = os.path.join(dirpath, name, "bootstrap.zip")
    return os.path.getsize(z) if os.path.exists(z) else None


def measure(path, env, event):
    inv = Invocation(event)
    CURRENT["inv"] = inv
    err = tempfile.TemporaryFile()
    p = subprocess.Popen([path], env=env, stdout=err, stderr=err)
    inv.pid = p.pid
    try:
        if not inv.done.wait(15):
            err.seek(0)
            raise RuntimeError(f"{path} did not answer within 15 s: {inv.seen} {err.read()[-2000:]!r}")
        if p.poll() is not None and inv.first_poll is None:
            raise RuntimeError(f"{path} exited with {p.returncode} before polling")
        return inv
    finally:
        p.kill()
        p.wait()
        CURRENT["inv"] = None


# --- the local stack and the representative invocations -------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stack:
    """The local stack (devstack), its ports and its demo notices."""

    def __init__(self, binary):
        self.http, self.aws, self.sim = free_port(), free_port(), free_port()
        env = dict(os.environ, PORT=str(self.http), AWS_EMULATOR_PORT=str(self.aws),
                   SIMULATOR_PORT=str(self.sim), ADMIN_API_KEY=ADMIN_KEY, RUST_LOG="warn")
        self.proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.notices = {}
        deadline = time.time() + 180
        for line in self.proc.stdout:
            m = re.match(r"\s+([\d ]{18,})\s+EC (\d{11})\s+debitore (\S+)\s+\((.+)\)", line)
            if m:
                self.notices[m.group(4)] = (m.group(1).replace(" ", ""), m.group(2), m.group(3))
            if line.startswith("Portale dei Pagamenti on"):
                break
            if time.time() > deadline:
                raise RuntimeError("the local stack did not start within 3 minutes")
        else:
            raise RuntimeError("the local stack stopped while starting")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.base = f"http://127.0.0.1:{self.http}"

    def operator_key(self, ec):
        req = urllib.request.Request(
            f"{self.base}/api/v1/admin/organizations/{ec}/keys", data=b"{}", method="POST",
            headers={"x-api-key": ADMIN_KEY, "content-type": "application/json"})
        with urllib.request.urlopen(req) as r:
            return json.load(r)["key"]

    def env(self):
        return dict(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{self.aws}",
            TABLE_NAME="portale-pagamenti",
            BUCKET_NAME="portale-pagamenti-documents",
            CHECKOUT_URL=f"http://127.0.0.1:{self.sim}/checkout/ec/v2",
            FDR_URL=f"http://127.0.0.1:{self.sim}/fdr-org/service/v1",
            FDR_SUBSCRIPTION_KEY="dev-fdr-key",
            PUBLIC_BASE_URL=self.base,
            SECURE_COOKIES="false",
        )

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


NODO_SUBJECT = "CN=nodo-coldstart-bench,O=PagoPA S.p.A.,C=IT"


def http_event(method, path, query="", body=None, headers=None, path_params=None, client_cert=None):
    """An API Gateway HTTP API (payload 2.0) event."""
    h = {"host": "pagamenti.example", "user-agent": "coldstart-bench", "x-forwarded-for": "127.0.0.1"}
    h.update(headers or {})
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": h,
        "pathParameters": path_params or {},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "pagamenti.example",
            "domainPrefix": "pagamenti", "requestId": "bench-request", "routeKey": f"{method} {path}",
            "stage": "$default", "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1796119200000,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "coldstart-bench"},
        },
        "body": body,
        "isBase64Encoded": False,
    } | ({} if client_cert is None else {"requestContext": {
        **ctx_of(method, path),
        "authentication": {"clientCert": {
            "clientCertPem": "", "subjectDN": client_cert, "issuerDN": "CN=bench CA",
            "serialNumber": "1", "validity": {"notBefore": "Jan 1 00:00:00 2026 GMT",
                                              "notAfter": "Jan 1 00:00:00 2028 GMT"}}}}})


def ctx_of(method, path):
    return {
        "accountId": "123456789012", "apiId": "bench", "domainName": "pagamenti.example",
        "domainPrefix": "pagamenti", "requestId": "bench-request", "routeKey": f"{method} {path}",
        "stage": "$default", "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1796119200000,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "127.0.0.1", "userAgent": "coldstart-bench"},
    }


def schedule_event():
    return {"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-12-01T10:00:00Z", "region": "eu-south-1",
            "resources": ["arn:aws:events:eu-south-1:123456789012:rule/bench"], "detail": {}}


def soap_verify(ec, notice):
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body>'
            f'<pafn:paVerifyPaymentNoticeReq><idPA>{ec}</idPA><idBrokerPA>77777777777</idBrokerPA>'
            '<idStation>77777777777_01</idStation>'
            f'<qrCode><fiscalCode>{ec}</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode>'
            '</pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>')


def requests(stack):
    """function → (what the invocation is, event, status it must answer)."""
    notice, ec, debtor = stack.notices["da pagare"]
    paid, paid_ec, paid_debtor = stack.notices["pagato"]
    key = stack.operator_key(ec)
    return {
        "home": ("GET / (home page)", http_event("GET", "/"), 200),
        "verify-notice": ("GET /api/v1/notices/{n} (lookup)",
                          http_event("GET", f"/api/v1/notices/{notice}", f"fiscalCode={debtor}",
                                     path_params={"noticeNumber": notice}), 200),
        "print-notice": ("GET …/avviso.pdf (render the avviso)",
                         http_event("GET", f"/api/v1/notices/{notice}/avviso.pdf", f"fiscalCode={debtor}",
                                    path_params={"noticeNumber": notice}), 200),
        "fetch-receipt": ("GET /api/v1/receipts/{n} (receipt)",
                          http_event("GET", f"/api/v1/receipts/{paid}", f"fiscalCode={paid_debtor}",
                                     headers={"accept": "application/json"},
                                     path_params={"noticeNumber": paid}), 200),
        "initiate-payment": ("POST /api/v1/payments (Checkout cart)",
                             http_event("POST", "/api/v1/payments", body=json.dumps(
                                 {"notices": [{"noticeNumber": notice, "fiscalCode": debtor}]}),
                                 headers={"content-type": "application/json"}), 201),
        "pagopa-callback": ("POST /pagopa/paForNode (paVerifyPaymentNotice)",
                            http_event("POST", "/pagopa/paForNode", body=soap_verify(ec, notice),
                                       headers={"content-type": "text/xml",
                                                "soapaction": "paVerifyPaymentNotice"},
                                       client_cert=NODO_SUBJECT), 200),
        "spontaneous-payment": ("GET /api/v1/services (catalogue)",
                                http_event("GET", "/api/v1/services"), 200),
        "list-positions": ("GET /api/v1/me/positions (no session: 401)",
                           http_event("GET", "/api/v1/me/positions"), 401),
        "login": ("GET /accesso (login page)", http_event("GET", "/accesso"), 200),
        "backoffice": ("GET /backoffice (no session: to the login page)",
                       http_event("GET", "/backoffice"), 303),
        "operator-api": ("GET …/services (operator key)",
                         http_event("GET", f"/api/v1/organizations/{ec}/services",
                                    headers={"x-api-key": key},
                                    path_params={"ecFiscalCode": ec}), 200),
        "admin-api": ("GET …/keys (admin key)",
                      http_event("GET", f"/api/v1/admin/organizations/{ec}/keys",
                                 headers={"x-api-key": ADMIN_KEY},
                                 path_params={"ecFiscalCode": ec}), 200),
        "receipt-worker": ("schedule: sweep owed work", schedule_event(), None),
        "import-worker": ("schedule: sweep imports", schedule_event(), None),
        "reconciliation-worker": ("schedule: reconcile every EC", schedule_event(), None),
    }


def check(name, inv, status):
    if inv.error is not None:
        raise RuntimeError(f"{name} answered an error: {inv.error[:300]}")
    if status is not None:
        got = json.loads(inv.answer).get("statusCode")
        if got != status:
            raise RuntimeError(f"{name} answered {got}, not {status}: {inv.answer[:300]!r}")


# --- the run ----------------------------------------------------------------


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A process killed mid-request is expected here; anything else is not.
        err = sys.exc_info()[1]
        if not isinstance(err, (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--stack", help="the local stack's binary (devstack), for the first invocation")
    ap.add_argument("--before", help="a directory of earlier binaries, measured in the same run")
    args = ap.parse_args()

    server = QuietServer(("127.0.0.1", 0), RuntimeApi)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "infra/config/entities.json")) as f:
        entities = json.dumps(json.load(f))
    env = dict(
        PATH=os.environ.get("PATH", ""),
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_STREAM_NAME="bench",
        AWS_LAMBDA_LOG_GROUP_NAME="bench",
        AWS_REGION="eu-south-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_EC2_METADATA_DISABLED="true",
        TABLE_NAME="bench",
        BUCKET_NAME="bench",
        MAIL_FROM="noreply@comune-di-prova.example",
        PUBLIC_BASE_URL="https://pagamenti.example",
        ENTITIES_JSON=entities,
        ADMIN_API_KEY=ADMIN_KEY,
        LOOKUP_LIMIT_PER_MINUTE="1000000",
        NODO_CLIENT_SUBJECTS=NODO_SUBJECT,
        RUST_LOG="warn",
    )
    names = sorted(n for n in os.listdir(args.dir) if os.path.isdir(os.path.join(args.dir, n)))
    if "coldstart-baseline" not in names:
        sys.exit("build coldstart-baseline the same way first")
    sets = [("now", args.dir)] + ([("before", args.before)] if args.before else [])
    stack = Stack(args.stack) if args.stack else None
    results = {}
    try:
        reqs = requests(stack) if stack else {}
        if stack:
            env.update(stack.env())
        with tempfile.TemporaryDirectory() as scratch:
            paths = {}
            for label, d in sets:
                for name in names:
                    if os.path.isdir(os.path.join(d, name)):
                        paths[(label, name)] = binary(d, name, scratch)
            for (label, name), path in paths.items():  # warm the page cache once
                measure(path, env, None)
            for _ in range(args.runs):
                for (label, name), path in paths.items():
                    what, event, status = reqs.get(name, (None, None, None))
                    inv = measure(path, env, event)
                    if event is not None:
                        check(name, inv, status)
                    r = results.setdefault((label, name), {"init": [], "first": [], "peak": []})
                    r["init"].append((inv.first_poll - inv.start) * 1000.0)
                    if inv.answered is not None:
                        r["first"].append((inv.answered - inv.start) * 1000.0)
                        r["peak"].append(inv.peak_kib or 0)
            sizes = {k: (os.path.getsize(p), zipped_size(dict(sets)[k[0]], k[1])) for k, p in paths.items()}
    finally:
        if stack:
            stack.stop()
        server.shutdown()

    base = {label: statistics.median(results[(label, "coldstart-baseline")]["init"]) for label, _ in sets}
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    print(f"Cold start, {args.runs} runs each, median ms (init: exec → first /invocation/next;"
          " first: exec → answer to the invocation below; peak: VmHWM MiB; zip MB)")
    cols = ["init", "×base", "first", "peak", "zip"]
    head = f"{'function':22}" + "".join(f"{label + ' ' + c:>13}" for label, _ in sets for c in cols)
    print(head)
    for name in names:
        row = f"{name:22}"
        for label, _ in sets:
            r = results.get((label, name))
            if r is None:
                row += " " * 13 * len(cols)
                continue
            size = sizes[(label, name)][1]
            row += f"{med(r['init']):13.2f}{med(r['init']) / base[label]:13.2f}{med(r['first']):13.2f}"
            row += f"{med(r['peak']) / 1024:13.1f}" + (f"{size / 1e6:13.2f}" if size else f"{'-':>13}")
        print(row)
    if reqs:
        print("\nThe invocation of each function:")
        for name, (what, _, _) in sorted(reqs.items()):
            print(f"  {name:22} {what}")


if __name__ == "__main__":
    main()
