"""The load bench's workload through the Python `openai` SDK (`AsyncOpenAI`, default settings).

Same command line and output as the Rust clients of the `benches` package:
`--url URL --kind chat|stream --model ID --count N --in-flight K [--chunks C] [--workload NAME]`,
then one JSON line of figures on stdout. CPU time and peak RSS come from
`getrusage(RUSAGE_SELF)` read around the measured loop, after one warm-up call.
"""

import argparse
import asyncio
import json
import resource
import sys
import time

from openai import AsyncOpenAI

CLIENT = "openai-python"
PROMPT = "Say something about local models."


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--kind", required=True, choices=["chat", "stream"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--count", required=True, type=int)
    parser.add_argument("--in-flight", required=True, type=int)
    parser.add_argument("--chunks", type=int, default=0)
    parser.add_argument("--workload")
    return parser.parse_args()


async def call(client, args):
    """One request; returns the chunks received (0 for a chat)."""
    messages = [{"role": "user", "content": PROMPT}]
    if args.kind == "chat":
        answer = await client.chat.completions.create(model=args.model, messages=messages)
        if not answer.choices or not answer.choices[0].message.content:
            raise RuntimeError("an empty answer")
        return 0
    # Every client asks for the final usage chunk, so all receive the same bytes.
    stream = await client.chat.completions.create(
        model=args.model,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = 0
    async for _chunk in stream:
        chunks += 1
    if args.chunks and chunks != args.chunks:
        raise RuntimeError(f"a stream yielded {chunks} chunks, expected {args.chunks}")
    return chunks


def percentile(sorted_values, quantile):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, round(quantile * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(args):
    client = AsyncOpenAI(base_url=f"{args.url.rstrip('/')}/v1", api_key="placeholder")
    await call(client, args)  # warm-up: connection, lazy imports, first request

    remaining = iter(range(args.count))
    latencies = []
    chunks = 0

    async def worker():
        nonlocal chunks
        for _ in remaining:
            sent = time.perf_counter()
            # Awaited before the addition: `chunks += await ...` would read `chunks` first and
            # lose the other workers' counts made while this one waited.
            received = await call(client, args)
            chunks += received
            latencies.append(int((time.perf_counter() - sent) * 1e6))

    workers = min(args.in_flight, args.count)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    await client.close()

    latencies.sort()
    return {
        "client": CLIENT,
        "workload": args.workload or args.kind,
        "kind": args.kind,
        "settings": f"AsyncOpenAI defaults (max_retries {client.max_retries})",
        "calls": args.count,
        "in_flight": workers,
        "chunks": chunks,
        "cpu_user_us": int((after.ru_utime - before.ru_utime) * 1e6),
        "cpu_system_us": int((after.ru_stime - before.ru_stime) * 1e6),
        "wall_us": int(wall * 1e6),
        "p50_us": percentile(latencies, 0.50),
        "p99_us": percentile(latencies, 0.99),
        # Linux reports ru_maxrss in KiB.
        "max_rss_kib": after.ru_maxrss,
    }


def main():
    args = parse_args()
    try:
        figures = asyncio.run(run(args))
    except Exception as error:  # any failure ends the run with a message, never a partial line
        print(f"{CLIENT}: {error!r}", file=sys.stderr)
        return 1
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
