# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""Aggregate rates of a Python workload in N processes or in N threads of one process.

A Python process runs Python code on one core at a time (the GIL), so 2 threads of one process
measure how much of a call runs with the GIL released (ctypes releases it during the foreign call),
and 2 processes, each with its own interpreter (and its own custauth handle), measure what a
pre-forking server gets. Both start their workers together (a barrier) and divide the calls of all
workers by the wall time from the common start to the last worker's end.

factory() builds the workload inside the worker (a custauth handle must be opened in the process
that uses it) and returns a callable making one call; the callable may raise StopIteration when it
has no more prepared input.
"""
import multiprocessing
import statistics
import threading
import time


def _count_calls(fn, seconds, barrier):
    fn()  # warm up, and check it works before the clock starts
    barrier.wait()
    n = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    try:
        while True:
            for _ in range(100):
                fn()
                n += 1
            if time.perf_counter() >= deadline:
                break
    except StopIteration:
        pass
    return n, t0, time.perf_counter()


def _process_main(factory, seconds, barrier, queue):
    try:
        queue.put(_count_calls(factory(), seconds, barrier))
    except BaseException as e:  # noqa: BLE001 — the parent reports it
        barrier.abort()
        queue.put(f"{type(e).__name__}: {e}")


def _rate(results):
    for r in results:
        if isinstance(r, str):
            raise RuntimeError(r)
    start = min(r[1] for r in results)
    end = max(r[2] for r in results)
    return sum(r[0] for r in results) / (end - start)


def in_processes(factory, procs, seconds):
    """Calls per second of `procs` forked processes together (monotonic clock, shared by all)."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(procs)
    queue = ctx.Queue()
    workers = [ctx.Process(target=_process_main, args=(factory, seconds, barrier, queue))
               for _ in range(procs)]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return _rate(results)


def in_threads(factory, threads, seconds):
    """Calls per second of `threads` threads of this process sharing one factory() workload."""
    fn = factory()
    barrier = threading.Barrier(threads)
    results = [None] * threads

    def run(i):
        results[i] = _count_calls(fn, seconds, barrier)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return _rate(results)


def scaling(factories, seconds, rounds=3, threads=True):
    """{name: {"p1": median rate in 1 process, "p2": in 2 processes, "t2": 2 threads (if asked),
    and the rounds}} for factories {name: factory}, the runs of all names alternating."""
    runs = {name: {"p1": [], "p2": [], "t2": []} for name in factories}
    for r in range(rounds):
        names = list(factories) if r % 2 == 0 else list(reversed(factories))
        for name in names:
            runs[name]["p1"].append(in_processes(factories[name], 1, seconds))
            runs[name]["p2"].append(in_processes(factories[name], 2, seconds))
            if threads:
                runs[name]["t2"].append(in_threads(factories[name], 2, seconds))
    out = {}
    for name, by in runs.items():
        out[name] = {k: statistics.median(v) for k, v in by.items() if v}
        out[name]["rounds"] = by
    return out
