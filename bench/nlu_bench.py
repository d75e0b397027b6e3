"""NLU benchmark: training time, parse latency p50/p99 over 10,000 messages in process, memory.

Run: .venv/bin/python bench/nlu_bench.py
Targets (NLU issue): parse p50 <= 0.5 ms, training <= 5 s, macro-F1 >= 0.93 on the test split,
crisis recall 1.0."""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.evaluate import evaluate  # noqa: E402
from nlu.model import NluData, train  # noqa: E402
from nlu.parser import EmbeddedParser  # noqa: E402
from nlu.rasa_yaml import read_file  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    source = NluData(ROOT / "data" / "nlu", ROOT / "data" / "territory.yml")
    before = rss_mib()
    started = time.perf_counter()
    model = train(source)
    training = time.perf_counter() - started
    parser = EmbeddedParser(model)

    test = read_file(ROOT / "data" / "nlu" / "test" / "test.yml").examples
    texts = [e.text for e in source.training_data().examples] + [e.text for e in test]
    rng = random.Random(0)
    messages = [rng.choice(texts) for _ in range(10_000)]
    for message in messages[:200]:  # warm up
        parser.parse(message)
    latencies = []
    for message in messages:
        started = time.perf_counter()
        parser.parse(message)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    report = evaluate(parser, test)

    print(f"training examples      {len(texts) - len(test)}")
    print(f"training time          {training:.2f} s        (target <= 5 s)")
    print(f"parse p50              {statistics.median(latencies):.3f} ms    (target <= 0.5 ms)")
    print(f"parse p99              {latencies[int(len(latencies) * 0.99)]:.3f} ms")
    print(f"parse mean             {statistics.fmean(latencies):.3f} ms over {len(messages)} messages")
    print(f"RSS                    {rss_mib():.0f} MiB (model and data: +{rss_mib() - before:.0f} MiB)")
    print(f"test macro-F1          {report.macro_f1:.3f}        (target >= 0.93)")
    print(f"test accuracy          {report.accuracy:.3f}")
    print(f"test crisis recall     {report.crisis_recall:.3f}        (target 1.0)")
    print(f"entity precision/recall {report.entity_precision:.3f} / {report.entity_recall:.3f}")
    seconds = cli_seconds(messages[:1000])
    print(f"`sixtcap nlu parse`     {seconds:.2f} s for 1,000 lines, process start included")


def cli_seconds(lines: list[str]) -> float:
    """One `sixtcap nlu parse` process reading 1,000 messages on stdin (model already cached)."""
    command = [str(Path(sys.executable).parent / "sixtcap"), "nlu", "parse"]
    subprocess.run(command, input="warm up\n", capture_output=True, text=True, check=True)
    started = time.perf_counter()
    text = "\n".join(lines) + "\n"
    result = subprocess.run(command, input=text, capture_output=True, text=True, check=True)
    assert len(result.stdout.splitlines()) == len(lines)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
