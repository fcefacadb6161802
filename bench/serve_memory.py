"""Memory of `botsmith serve`: resident memory once the model is loaded, and the peak after replies.

For each backend (--backends, default torch and auto) the benchmark starts `botsmith serve BOT --port 0
--backend B` as its own process on a bot of --model in a temporary folder, with a verified GGUF export
(--gguf-quant, default q8_0) where llama-cpp-python is installed, so that backend auto picks llama.cpp.
Once the server answers /health it reads the process's VmRSS (resident now) from /proc; then it asks
for --replies chat completions of --tokens tokens each (greedy, end of turn ignored) and reads VmRSS and
VmHWM (the peak resident memory) again. The line each server logged about its decoder is shown.
Linux only (/proc).

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/serve_memory.py [--model smollm2-135m]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import bot_with_export  # noqa: E402  (the same bot and export as bench/generate.py's default row)


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}


def start_server(bot: Path, backend: str, log_file: Path) -> tuple[subprocess.Popen, str]:
    """A `botsmith serve` process and its URL, once it answers /health."""
    command = [sys.executable, "-m", "botsmith", "serve", str(bot), "--port", "0", "--backend", backend]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file.open("w"), env=os.environ.copy())
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = re.search(r"at (http://\S+)/ \(chat page\)", log_file.read_text())
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            raise SystemExit(f"botsmith serve --backend {backend} exited:\n{log_file.read_text()}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"botsmith serve --backend {backend} did not start in 300 s")


def ask(url: str, tokens: int) -> dict:
    body = {"model": "bot", "messages": [{"role": "user", "content": "Tell me about the old lighthouse keeper."}],
            "max_tokens": tokens, "min_tokens": tokens, "temperature": 0}
    request = urllib.request.Request(f"{url}/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.load(response)


def measure(bot: Path, backend: str, args: argparse.Namespace, scratch: Path) -> dict:
    log_file = scratch / f"serve-{backend}.log"
    process, url = start_server(bot, backend, log_file)
    try:
        loaded = memory_mib(process.pid)
        for _ in range(args.replies):
            ask(url, args.tokens)
        after = memory_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)
    decoder = next((line for line in log_file.read_text().splitlines() if line.startswith("decoding:")), "?")
    return {"loaded": loaded["VmRSS"], "after": after["VmRSS"], "peak": after["VmHWM"], "decoder": decoder}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--backends", default="torch,auto", help="comma-separated [generate] backend values")
    parser.add_argument("--gguf-quant", default="q8_0")
    parser.add_argument("--tokens", type=int, default=128, help="new tokens per reply")
    parser.add_argument("--replies", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-memory-") as scratch:
        bot, _, no_export = bot_with_export(args.model, args.gguf_quant, Path(scratch))
        results = {backend: measure(bot, backend, args, Path(scratch)) for backend in args.backends.split(",")}
    print(f"model {args.model}, botsmith serve, {args.replies} chat replies of {args.tokens} tokens; "
          f"memory in MiB from /proc/PID/status")
    print(f"{'backend':<10}{'after load':>12}{'after replies':>15}{'peak':>8}  decoder")
    for backend, result in results.items():
        print(f"{backend:<10}{result['loaded']:>12.0f}{result['after']:>15.0f}{result['peak']:>8.0f}  "
              f"{result['decoder']}")
    if no_export:
        print(f"no GGUF export, so auto runs torch: {no_export}")


if __name__ == "__main__":
    main()
