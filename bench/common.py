"""Benchmark helpers: wall time and peak memory of a command's whole process tree, result files."""

from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess
import threading
import time

import psutil

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def run_measured(command: list[str], log_path: pathlib.Path, env: dict | None = None) -> dict:
    """Runs `command`, sampling the summed RSS of it and all its descendants every 0.5 s.

    Returns:
      {"wall_seconds", "peak_rss_mb", "returncode"}; the command's output goes to `log_path`.
    """
    peak = 0
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})})
        start = time.monotonic()
        done = threading.Event()

        def sample():
            nonlocal peak
            root = psutil.Process(process.pid)
            while not done.wait(0.5):
                try:
                    procs = [root, *root.children(recursive=True)]
                    peak = max(peak, sum(_rss(p) for p in procs))
                except psutil.NoSuchProcess:
                    pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        wall = time.monotonic() - start
        done.set()
        sampler.join()
    return {"wall_seconds": round(wall, 1), "peak_rss_mb": round(peak / 2**20),
            "returncode": returncode}


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def machine() -> dict:
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30),
            "python": platform.python_version(), "platform": platform.platform()}


def write_results(name: str, payload: dict, table: list[list[str]]) -> pathlib.Path:
    """Writes bench/results/<name>.json and a markdown table <name>.md; returns the md path."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    header, *rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    markdown = RESULTS / f"{name}.md"
    markdown.write_text(f"# {name}\n\n" + "\n".join(lines) + "\n")
    return markdown
