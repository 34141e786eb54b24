#!/usr/bin/env python3
"""Cold-start benchmark: for each function's release binary, the time from exec
to its first call to the Lambda runtime API (`GET .../invocation/next`), served by
a local stand-in of that API; next to an empty lambda_runtime binary built the
same way. Prints a table and the ratio per function.

Usage: coldstart.py DIR [RUNS]   (DIR = target/lambda, with <name>/bootstrap or bootstrap.zip)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIRST_POLL = {}
LOCK = threading.Lock()


class RuntimeApi(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/invocation/next"):
            with LOCK:
                FIRST_POLL.setdefault("t", time.perf_counter())
            # Never answer: the process is killed once its first poll is seen.
            time.sleep(5)
        self.send_response(404)
        self.end_headers()

    def do_POST(self):
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def binary(dirpath, name, scratch):
    plain = os.path.join(dirpath, name, "bootstrap")
    if os.path.exists(plain):
        return plain
    z = os.path.join(dirpath, name, "bootstrap.zip")
    out = os.path.join(scratch, name)
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(z) as f:
        f.extractall(out)
    path = os.path.join(out, "bootstrap")
    os.chmod(path, 0o755)
    return path


def measure(path, port, env):
    FIRST_POLL.clear()
    start = time.perf_counter()
    p = subprocess.Popen([path], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while "t" not in FIRST_POLL:
            if p.poll() is not None:
                raise RuntimeError(f"{path} exited with {p.returncode} before polling")
            if time.perf_counter() - start > 10:
                raise RuntimeError(f"{path} did not poll within 10 s")
            time.sleep(0.0002)
        return (FIRST_POLL["t"] - start) * 1000.0
    finally:
        p.kill()
        p.wait()


def main():
    root = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
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
    )
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    if "coldstart-baseline" not in names:
        sys.exit("build coldstart-baseline the same way first")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            path = binary(root, name, scratch)
            measure(path, port, env)  # warm the page cache once
            samples = [measure(path, port, env) for _ in range(runs)]
            results[name] = (statistics.median(samples), min(samples), max(samples), os.path.getsize(path))
    base = results["coldstart-baseline"][0]
    print(f"exec → first /invocation/next, {runs} runs each (ms)")
    print(f"{'function':20} {'median':>8} {'min':>8} {'max':>8} {'binary MB':>10} {'× baseline':>11}")
    for name, (med, lo, hi, size) in sorted(results.items(), key=lambda kv: kv[1][0]):
        print(f"{name:20} {med:8.2f} {lo:8.2f} {hi:8.2f} {size / 1e6:10.1f} {med / base:11.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
