"""Benchmark: the local server under a mix of valid, malformed and oversized requests.

The server (`python -m serving.cli serve --local`, default limits) runs as its own process; its
RSS (with any children) is sampled every 20 ms with psutil. Three phases:

1. 50 concurrent clients, threads of this process (40 over REST on raw keep-alive connections,
   10 over gRPC), each sending `--requests` requests drawn with a fixed seed: 60% valid (1 to 64
   real test reviews), 20% malformed (broken JSON, a number for a review, a [1, 2] shape), 20%
   oversized (65 to 100,000 instances, or over REST a body 1 byte over the byte limit). Counted:
   2xx, 4xx, 5xx and dropped connections (reset, refused, timed out or incomplete: no answer),
   p50/p99 latency of every answer, of the valid ones and of the refused ones.
2. One REST request of 100,000 one-word instances (a 0.5 MB body): status and answer time.
3. The same 100,000 texts through `RestClient.predict_sentiment`, which sends them as requests of
   at most max_batch_size: wall time.

Each phase reports the server's peak RSS. Writes bench/results/serving_limits.{json,md}.
Usage: python -m bench.serving_limits --serving-root DIR [--data-dir ../shared/data/imdb]
         [--clients 50] [--grpc-clients 10] [--requests 40]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tarfile
import threading
import time

import numpy as np
import psutil

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]
PREDICT = "/v1/models/imdb:predict"
FALLBACK_REVIEW = ("I went in expecting little and came out moved. The lead performance is "
                   "restrained and honest, and the final act earns every emotion it asks for.")


class RssSampler(threading.Thread):
    """Peak RSS of a process tree, sampled until `peak_mb()` is read and reset."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process, self.peak, self.lock = psutil.Process(pid), 0, threading.Lock()

    def run(self) -> None:
        while True:
            try:
                rss = sum(p.memory_info().rss for p in [self.process,
                                                         *self.process.children(recursive=True)])
            except psutil.NoSuchProcess:
                return
            with self.lock:
                self.peak = max(self.peak, rss)
            time.sleep(0.02)

    def peak_mb(self, reset: bool = True) -> int:
        with self.lock:
            peak, self.peak = self.peak, 0 if reset else self.peak
        return round(peak / 2**20)


def reviews(data_dir: str | None, count: int = 2000) -> list[str]:
    """Raw aclImdb test reviews (with their <br /> tags), or one fallback review."""
    if not data_dir:
        return [FALLBACK_REVIEW]
    path = pathlib.Path(data_dir)
    tarball = path if path.is_file() else next(path.glob("aclImdb*.tar.gz"))
    texts = []
    with tarfile.open(tarball) as archive:
        for member in archive:
            if re.match(r"aclImdb/test/(pos|neg)/\d+_\d+\.txt$", member.name):
                texts.append(archive.extractfile(member).read().decode("utf-8"))
                if len(texts) == count:
                    break
    return texts


def rest_body(rng: random.Random, kind: str, texts: list[str], max_bytes: int) -> bytes:
    if kind == "valid":
        return json.dumps({"instances": rng.choices(texts, k=rng.randint(1, 64))}).encode()
    if kind == "malformed":
        return rng.choice([b'{"instances": ["unclosed}', b'{"instances": [0.5]}',
                           b'{"inputs": {"text": [["a", "b"]]}}'])
    if rng.random() < 0.25:
        return b" " * (max_bytes + 1)
    return json.dumps({"instances": ["a"] * rng.choice([65, 1000, 100_000])}).encode()


def rest_client(url: str, rng: random.Random, count: int, texts, max_bytes: int, out: list):
    host, port = url[len("http://"):].split(":")
    connection = None
    for _ in range(count):
        kind = rng.choices(["valid", "malformed", "oversized"], [6, 2, 2])[0]
        body = rest_body(rng, kind, texts, max_bytes)
        start = time.perf_counter()
        try:
            connection = connection or http.client.HTTPConnection(host, int(port), timeout=60)
            connection.request("POST", PREDICT, body=body)
            response = connection.getresponse()
            response.read()
            out.append((kind, response.status, time.perf_counter() - start))
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as error:
            out.append((kind, f"dropped: {type(error).__name__}", time.perf_counter() - start))
            connection = None


def grpc_client(target: str, rng: random.Random, count: int, texts, out: list):
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from serving import protos

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(
        target, options=[("grpc.max_send_message_length", 64 * 2**20)]))
    for _ in range(count):
        kind = rng.choices(["valid", "malformed", "oversized"], [6, 2, 2])[0]
        inputs = {"text": rng.choices(texts, k=rng.randint(1, 64))} if kind == "valid" else (
            rng.choice([{"text": [["a", "b"]]}, {"text": np.array([0.5], np.float32)}])
            if kind == "malformed" else {"text": ["a"] * rng.choice([65, 1000, 100_000])})
        request = protos.predict_request("imdb", None, "", inputs)
        start = time.perf_counter()
        try:
            stub.Predict(request, timeout=60)
            code = "OK"
        except grpc.RpcError as error:
            code = error.code().name
        elapsed = time.perf_counter() - start
        status = {"OK": 200, "INVALID_ARGUMENT": 400, "RESOURCE_EXHAUSTED": 400}.get(
            code, f"dropped: {code}" if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED") else 500)
        out.append((kind, status, elapsed))


def percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
            "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None}


def mixed_load(rest_url, grpc_target, args, texts, max_bytes, rss: RssSampler) -> dict:
    results: list[tuple] = []
    threads = []
    for index in range(args.clients):
        rng = random.Random(index)
        if index < args.clients - args.grpc_clients:
            work = (rest_client, rest_url, rng, args.requests, texts, max_bytes, results)
        else:
            work = (grpc_client, grpc_target, rng, args.requests, texts, results)
        threads.append(threading.Thread(target=work[0], args=work[1:]))
    rss.peak_mb()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    statuses = [status for _, status, _ in results]
    answered = [(kind, status, s) for kind, status, s in results if isinstance(status, int)]
    return {
        "clients": args.clients, "grpc_clients": args.grpc_clients, "requests": len(results),
        "wall_seconds": round(wall, 1), "peak_rss_mb": rss.peak_mb(),
        "by_kind": {kind: sum(k == kind for k, _, _ in results)
                    for kind in ("valid", "malformed", "oversized")},
        "2xx": sum(isinstance(s, int) and s < 300 for s in statuses),
        "4xx": sum(isinstance(s, int) and 400 <= s < 500 for s in statuses),
        "5xx": sum(isinstance(s, int) and s >= 500 for s in statuses),
        "dropped": sum(isinstance(s, str) for s in statuses),
        "dropped_examples": sorted({s for s in statuses if isinstance(s, str)})[:5],
        "valid_not_200": sum(kind == "valid" and status != 200 for kind, status, _ in answered),
        "all": percentiles([s for _, _, s in answered]),
        "valid": percentiles([s for kind, _, s in answered if kind == "valid"]),
        "refused": percentiles([s for kind, status, s in answered if status == 400]),
    }


def start_server(serving_root: str) -> tuple[subprocess.Popen, str, str]:
    command = [sys.executable, "-m", "serving.cli", "serve", "--serving-root", serving_root,
               "--rest-port", "0", "--grpc-port", "0", "--local", "--models", "imdb"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env={**os.environ, "TF_USE_LEGACY_KERAS": "1",
                                               "TF_CPP_MIN_LOG_LEVEL": "2",
                                               "PYTHONPATH": str(REPO)})
    match = re.search(r"REST (http://\S+) and gRPC (\S+);", process.stdout.readline())
    if match is None:
        process.kill()
        sys.exit("the local server did not start")
    return process, match.group(1), match.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-root", required=True, help="<root>/imdb/<version>/")
    parser.add_argument("--data-dir", help="aclImdb tarball or its folder, for real reviews")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--grpc-clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    args = parser.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from serving import client, limits

    texts = reviews(args.data_dir)
    process, rest_url, grpc_target = start_server(os.path.abspath(args.serving_root))
    rss = RssSampler(process.pid)
    rss.start()
    try:
        with client.RestClient(rest_url, timeout_seconds=60) as rest:  # warm up, load done
            rest.predict_sentiment(texts[:64])
        idle = rss.peak_mb()
        print(f"server up, {idle} MB after a warm-up request; mixed load ...", flush=True)
        load = mixed_load(rest_url, grpc_target, args, texts, limits.MAX_REQUEST_BYTES, rss)
        print(load, flush=True)

        body = json.dumps({"instances": ["a"] * 100_000}).encode()
        host, port = rest_url[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=600)
        start = time.perf_counter()
        connection.request("POST", PREDICT, body=body)
        response = connection.getresponse()
        answer = json.loads(response.read())
        one = {"instances": 100_000, "body_bytes": len(body), "status": response.status,
               "answer_seconds": round(time.perf_counter() - start, 3),
               "error": answer.get("error"), "peak_rss_mb": rss.peak_mb()}
        print(one, flush=True)

        start = time.perf_counter()
        with client.RestClient(rest_url, timeout_seconds=600) as rest:
            probabilities = rest.predict_sentiment(["a"] * 100_000)
        split = {"instances": len(probabilities), "requests": -(-100_000 // rest.max_batch_size),
                 "wall_seconds": round(time.perf_counter() - start, 1),
                 "peak_rss_mb": rss.peak_mb(), "server_alive": process.poll() is None}
        print(split, flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    payload = {"machine": common.machine(), "load_average_1m_at_end": os.getloadavg()[0],
               "serving_root": os.path.abspath(args.serving_root), "reviews": len(texts),
               "limits": {"max_batch_size": limits.MAX_BATCH_SIZE,
                          "max_request_bytes": limits.MAX_REQUEST_BYTES,
                          "max_concurrent": limits.MAX_CONCURRENT_PREDICTS},
               "server_rss_after_warmup_mb": idle, "mixed_load": load,
               "one_100000_instance_request": one, "100000_texts_through_predict": split}
    def ms(stats: dict) -> str:
        return f"{stats['p50_ms']} / {stats['p99_ms']}"

    table = [["phase", "requests", "2xx", "4xx", "5xx", "dropped", "p50 / p99 ms",
              "valid p50 / p99 ms", "refused p50 / p99 ms", "wall s", "server peak RSS MB"],
             [f"{args.clients} clients, mixed", str(load["requests"]), str(load["2xx"]),
              str(load["4xx"]), str(load["5xx"]), str(load["dropped"]), ms(load["all"]),
              ms(load["valid"]), ms(load["refused"]), str(load["wall_seconds"]),
              str(load["peak_rss_mb"])],
             ["one 100,000-instance request", "1", str(int(one["status"] == 200)),
              str(int(one["status"] == 400)), "0", "0", "", "",
              f"{one['answer_seconds'] * 1000:.1f}",
              str(one["answer_seconds"]), str(one["peak_rss_mb"])],
             ["100,000 texts via predict_sentiment", str(split["requests"]),
              str(split["requests"]), "0", "0", "0", "", "", "", str(split["wall_seconds"]),
              str(split["peak_rss_mb"])]]
    print(common.write_results("serving_limits", payload, table).read_text())


if __name__ == "__main__":
    main()
