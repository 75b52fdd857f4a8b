"""Escalation against the scripted model: reviews per second, and what a review costs.

Prints one table:

* the latency of one review (``Escalation.decide`` in reviewer mode, a distinct call each
  time, so no cache) beside a bare SDK request of the same prompt (the floor: the SDK, HTTP
  on localhost and the scripted model); their difference is csup's per-review overhead;
* csup's own work per review with no network at all (build the prompt, read the verdict,
  count the usage, the cache);
* a cache hit;
* reviews per second with 1, 4 and 16 threads asking at once (the scripted model in a
  process of its own);
* the policy's decision latency on a thread that does not escalate, alone and while 16
  other threads wait on slow reviews (0.2 s each).

    .venv/bin/python benchmarks/bench_escalation.py [--reviews 200] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tabulate import tabulate

from csup.calls import ToolCall, ask
from csup.escalation import Escalation, ReviewContext, Reviewer
from csup.escalation.cache import ReviewCache
from csup.escalation.prompt import TOOL_NAME, build_request, parse_verdict, review_tool
from csup.escalation.usage import UsageMeter
from csup.policy import load_policy
from csup.testing import Review, ReviewScript, ScriptedModel

ASKED = ask("net.publish", "`git push` publishes to a remote repository.")
CONTEXT = ReviewContext("Fix the failing test", "/work/p", "s1", ("Bash: npm test -> 1 failed",))


def call(n: int) -> ToolCall:
    return ToolCall("Bash", {"command": f"git push origin topic-{n}"}, "/work/p", "s1")


def ms(samples: list[float]) -> tuple[str, str]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered) * 1e3:.3f}", f"{p95 * 1e3:.3f}"


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a smoke run (20 reviews)")
    args = parser.parse_args()
    n = 20 if args.quick else args.reviews
    rows: list[list[str]] = []
    script = ReviewScript(default=Review("deny", "not asked for"))
    with ScriptedModel(reviews=script) as model:
        reviewer = Reviewer(api_key="k", base_url=model.base_url, timeout=10)
        chain = Escalation("reviewer", reviewer=reviewer)
        chain.decide(call(-1), ASKED, CONTEXT)  # warm up: import anthropic, connect
        counter = iter(range(10**9))
        client = reviewer.client()
        system, user = build_request(call(0), ASKED, CONTEXT)

        def bare() -> object:
            return client.messages.create(
                model=reviewer.model,
                max_tokens=1024,
                system=system,
                messages=[{"role": "user", "content": user}],
                tools=[review_tool()],  # type: ignore[list-item]
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )

        review: list[float] = []
        floor: list[float] = []
        for _ in range(n):  # interleaved, so that the machine's load hits both alike
            review += timed(lambda: chain.decide(call(next(counter)), ASKED, CONTEXT), 1)
            floor += timed(bare, 1)
        rows.append(["review (Escalation.decide, reviewer mode)", *ms(review)])
        rows.append(["bare SDK request, same prompt (floor)", *ms(floor)])
        overhead = statistics.median(review) - statistics.median(floor)
        rows.append(["csup's per-review overhead (difference)", f"{overhead * 1e3:.3f}", ""])

        content = [
            {"type": "tool_use", "name": TOOL_NAME, "input": {"decision": "deny", "reason": "x"}}
        ]
        meter, cache = UsageMeter(reviewer.model), ReviewCache()
        usage = {"input_tokens": 400, "output_tokens": 20}
        offline_counter = iter(range(10**9))

        def offline() -> object:
            c = call(next(offline_counter))
            build_request(c, ASKED, CONTEXT)
            meter.add(usage)
            return cache.review(c, ASKED, lambda: parse_verdict(content))

        rows.append(["csup's own work, no network (prompt, verdict, usage, cache)"])
        rows[-1].extend(ms(timed(offline, n * 10)))
        hit = timed(lambda: chain.decide(call(0), ASKED, CONTEXT), n * 10)
        rows.append(["cache hit (Escalation.decide)", *ms(hit)])

    # Throughput with the scripted model in a process of its own: in this process it would
    # share the GIL with the threads asking, and measure itself.
    server = subprocess.Popen(
        [sys.executable, "-m", "csup.testing.model_server"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        remote = Reviewer(api_key="k", base_url=url, timeout=10)
        Escalation("reviewer", reviewer=remote).decide(call(-1), ASKED, CONTEXT)
        for threads in (1, 4, 16):
            fresh = Escalation("reviewer", reviewer=remote)
            calls = [call(threads * 10**6 + i) for i in range(n)]
            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda c, chain=fresh: chain.decide(c, ASKED, CONTEXT), calls))
            rate = n / (time.perf_counter() - started)
            label = f"reviews per second, {threads} thread(s), model in its own process"
            rows.append([label, f"{rate:.0f} /s", ""])
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()

    policy = load_policy()
    plain = ToolCall("Bash", {"command": "npm test"}, "/work/p")
    policy.decide(plain)
    alone = timed(lambda: policy.decide(plain), n * 10)
    slow = ReviewScript(default=Review("deny", "slow", delay=0.2))
    with ScriptedModel(reviews=slow) as model:
        slow_chain = Escalation(
            "reviewer", reviewer=Reviewer(api_key="k", base_url=model.base_url, timeout=10)
        )
        slow_chain.decide(call(-1), ASKED, CONTEXT)
        stop = threading.Event()

        def escalate(k: int) -> None:
            i = 0
            while not stop.is_set():
                slow_chain.decide(call(k * 10**6 + i), ASKED, CONTEXT)
                i += 1

        workers = [threading.Thread(target=escalate, args=(k,)) for k in range(16)]
        for worker in workers:
            worker.start()
        time.sleep(0.5)  # let every worker be waiting on its review
        busy = timed(lambda: policy.decide(plain), n * 10)
        stop.set()
        for worker in workers:
            worker.join()
    rows.append(["policy decision, nobody escalating", *ms(alone)])
    rows.append(["policy decision, 16 threads waiting on reviews", *ms(busy)])
    print(tabulate(rows, headers=["what", "median ms", "p95 ms"], disable_numparse=True))
    usage_now = reviewer.usage()
    print(
        f"\n{usage_now.requests} reviewer requests, {usage_now.input_tokens} input and "
        f"{usage_now.output_tokens} output tokens, ${usage_now.cost_usd:.4f} at "
        f"{reviewer.model} prices"
    )


if __name__ == "__main__":
    main()
