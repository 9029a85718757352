#!/usr/bin/env python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""Writes bench/RESULTS.md (to stdout) from the outputs scripts/bench left in OUT_DIR.

Usage: report.py OUT_DIR COMMAND. Every ratio compares figures of this one run.
       report.py --timing FILE [NOTE]: only the timing section, from custauth_bench_timing's
       output in FILE (a standalone run), NOTE written under its description.
"""
import json
import os
import platform
import re
import subprocess
import sys

OUT = sys.argv[1]
COMMAND = sys.argv[2] if len(sys.argv) > 2 else "scripts/bench"


def read(name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def read_json(name):
    text = read(name)
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # The last line holding a JSON object (programs may print more before it).
        for line in reversed(text.strip().splitlines()):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def gbench(name):
    """{run_name: entry} of a Google Benchmark JSON file: medians where there are aggregates."""
    data = read_json(name)
    if not data:
        return {}, {}
    runs = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            runs[b["run_name"]] = {"error": b.get("error_message", "error")}
            continue
        agg = b.get("aggregate_name")
        if agg in (None, "") and b["run_name"] not in runs:
            runs[b["run_name"]] = b
        elif agg == "median":
            runs[b["run_name"]] = b
    return runs, data.get("context", {})


def cmd(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def cpu_model():
    text = open("/proc/cpuinfo", encoding="utf-8").read()
    m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    return m.group(1).strip() if m else platform.processor()


def pkg_version(pkg):
    return cmd(["dpkg-query", "-W", "-f=${Version}", pkg]) or "?"


def timing_section(timing, note=None):
    """The timing section's Markdown, from custauth_bench_timing's JSON (also used on its own:
    `report.py --timing FILE` prints just this section, for a standalone run)."""
    lines = []
    mib = timing["argon2_memlimit"] / (1024 * 1024)
    lines.append(
        "bench/timing_logins.cpp: for every operation that takes an email, a refused call for a "
        "known customer against the same call for an unknown email, interleaved (the order "
        f"alternating every round), {timing['rounds']} rounds after 2 of warm-up, median wall "
        f"time, at the platform's Argon2id parameters (opslimit {timing['argon2_opslimit']}, "
        f"{mib:g} MiB) on a SQLite file (synchronous FULL). Failures are counted as a shop's "
        "defaults count them (the token-request throttle and the account's failure counter are "
        "written on every failed attempt, for unknown emails too), with limits too high to close "
        "during the run. The known customer has an outstanding reset token and admin code, so "
        "that its refusals go as far as an attacker's would. The bar applies to the ratio of the "
        "medians; the median of the rounds' ratios (each round's two calls back to back) is "
        "shown beside it, as it is less moved by a change of the machine's load between rounds. "
        "The last row is the login's refusal of a locked account, which runs the dummy "
        "verification an unknown email runs (README, \"Lock state while locked\"; SECURITY.md, "
        "\"Timing side channels\").")
    if note:
        lines.append("")
        lines.append(note)
    lines.append("")
    lines.append("| operation (known customer's case) | known | unknown email | "
                 "unknown / known (bar 0.9–1.1) | median of the rounds' ratios |")
    lines.append("|---|---:|---:|---:|---:|")
    met = True
    for p in timing["pairs"]:
        ratio = p["unknown_over_known"]
        if p["bar"]:
            ok = 0.9 <= ratio <= 1.1
            met = met and ok
            cell = f"{ratio:.3f}" + ("" if ok else " **outside**")
        else:
            cell = f"{ratio:.3f} (no bar)"
        lines.append(f"| {p['name']} | {p['known_us'] / 1000:.2f} ms | "
                     f"{p['unknown_us'] / 1000:.2f} ms | {cell} | "
                     f"{p.get('median_round_ratio', float('nan')):.3f} |")
    lines.append("")
    lines.append(f"Bar (every ratio marked with a bar within 0.9 to 1.1): {verdict(met)}.")
    return "\n".join(lines)


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_rate(r):
    if r is None:
        return "—"
    if r >= 1e6:
        return f"{r / 1e6:.2f} M/s"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k/s"
    return f"{r:.0f} /s"


def verdict(ok):
    return "**met**" if ok else "**not met**"


def ns_of(runs, name, real=False):
    b = runs.get(name)
    if not b or "error" in b:
        return None
    t = b["real_time"] if real else b["cpu_time"]
    unit = b.get("time_unit", "ns")
    return t * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


TIMING_HEADING = "## Timing: known and unknown emails"

if OUT == "--timing":
    # report.py --timing FILE [NOTE]: only the timing section, from a standalone run of
    # custauth_bench_timing (its stdout in FILE), to replace that section of RESULTS.md.
    with open(sys.argv[2], encoding="utf-8") as f:
        standalone = json.loads(f.read())
    print(TIMING_HEADING + "\n\n" + timing_section(standalone,
                                                   sys.argv[3] if len(sys.argv) > 3 else None))
    sys.exit(0)

lines = []
w = lines.append
load_start = (read("load_start.txt") or "").strip()
load_end = (read("load_end.txt") or "").strip()
date = (read("date.txt") or "").strip()
failures = (read("failures.txt") or "").strip()

w("# custauth benchmarks — results")
w("")
w(f"Generated by `{COMMAND}` (bench/report.py) on {date}. Every ratio below compares figures "
  "measured in this same run, on this machine:")
w("")
w(f"- CPU: {cpu_model()}, {os.cpu_count()} cores (`nproc`: {cmd(['nproc'])})")
w(f"- Load average at start: `{load_start.split('load average:')[-1].strip()}`; at end: "
  f"`{load_end.split('load average:')[-1].strip()}`")
w(f"- Kernel {platform.release()}; {cmd(['c++', '--version']).splitlines()[0] if cmd(['c++', '--version']) else 'c++ ?'}; "
  "release build (-O3 -DNDEBUG)")
w(f"- Peers: libjwt {pkg_version('libjwt0')}, cpp-jwt {pkg_version('libcpp-jwt-dev')}, "
  f"PyJWT {pkg_version('python3-jwt')}, oauthlib {pkg_version('python3-oauthlib')}; "
  f"OpenSSL {pkg_version('libssl3')}, SQLite {pkg_version('libsqlite3-0')}, "
  f"libsodium {pkg_version('libsodium23')}, Google Benchmark {pkg_version('libbenchmark-dev')}")
w(f"- Database files live in {os.path.relpath(os.path.dirname(os.path.abspath(OUT)))}, on the "
  "file system of the source tree "
  f"(`{cmd(['df', '-T', OUT]).splitlines()[-1].split()[1] if cmd(['df', '-T', OUT]) else '?'}`).")
w("")
try:
    load1 = float(load_start.split("load average:")[-1].split(",")[0])
except ValueError:
    load1 = None
if load1 is not None and load1 > 0.5:
    w(f"**This machine was not quiet during this run** (1-minute load average {load1:.2f} at the "
      "start, on 2 cores: other builds were running). The JWT figures are medians of CPU time "
      "over repetitions, which preemption affects least, and every peer ran under the same "
      "conditions in the same run; still, read single ratios as ±20 %, and the storage figures "
      "(fsync-bound) as rough. Repeat on a quiet machine for figures to quote.")
    w("")
if failures:
    w("**Not measured in this run:**")
    w("")
    for f in failures.splitlines():
        w(f"- {f}")
    w("")

# --- 1 and 2: JWT ------------------------------------------------------------------------------
jwt_runs, jwt_ctx = gbench("jwt.json")
if jwt_ctx:
    w(f"Google Benchmark context: {jwt_ctx.get('num_cpus')} CPUs at "
      f"{jwt_ctx.get('mhz_per_cpu')} MHz, load average {jwt_ctx.get('load_avg')} when the JWT "
      "benchmarks began. Debian's libbenchmark prints \"Library was built as DEBUG\": that is the "
      "harness library's own build, not custauth's or the peers'.")
    w("")
w("## 1. JWT verify (C++, one thread, median CPU time per token)")
w("")
w("The same platform-shaped HS256 token (header `{\"kid\":\"1\",\"alg\":\"HS256\"}`, payload "
  "`{\"uid\":6,\"utypid\":3,\"iat\":…,\"exp\":…}`) verified by: custauth "
  "`CustomerAuth::verify_token` (split, base64url, header, kid lookup, HMAC, claims, exp, "
  "revocation from the cache; memory storage, warm cache, revocation_refresh 1 s); libjwt "
  "`jwt_decode` with the key, then alg/kid/exp/uid/utypid checked by the host; cpp-jwt "
  "`jwt::decode(algorithms({\"HS256\"}), secret, verify(true))` then kid/uid/utypid; and the "
  "floor, one HMAC-SHA256 of the signing input with the key's inner/outer SHA-256 states "
  "precomputed (OpenSSL low-level SHA256, written in the benchmark, independent of custauth). "
  "Two keys: custauth's default 32 random bytes, and the platform's crypt key padded with `&` "
  "to 2048 bytes (which peers must hash on every call; custauth and the floor hash it once).")
w("")
w("| key | custauth | libjwt | cpp-jwt | floor | libjwt / custauth (bar ≥ 8×) | "
  "cpp-jwt / custauth (bar ≥ 8×) | custauth / floor (bar ≤ 2×) |")
w("|---|---|---|---|---|---|---|---|")
verify_ok = True
verify_measured = False
for arg, label in (("0", "32 random bytes"), ("1", "platform, 2048 bytes")):
    c = ns_of(jwt_runs, f"BM_Verify_Custauth/{arg}")
    lj = ns_of(jwt_runs, f"BM_Verify_Libjwt/{arg}")
    cj = ns_of(jwt_runs, f"BM_Verify_CppJwt/{arg}")
    fl = ns_of(jwt_runs, f"BM_Verify_Floor/{arg}")
    if None in (c, lj, cj, fl):
        w(f"| {label} | {fmt_ns(c)} | {fmt_ns(lj)} | {fmt_ns(cj)} | {fmt_ns(fl)} | — | — | — |")
        verify_ok = False
        continue
    verify_measured = True
    r1, r2, r3 = lj / c, cj / c, c / fl
    verify_ok = verify_ok and r1 >= 8 and r2 >= 8 and r3 <= 2
    w(f"| {label} | {fmt_ns(c)} | {fmt_ns(lj)} | {fmt_ns(cj)} | {fmt_ns(fl)} | "
      f"{r1:.1f}× {'✓' if r1 >= 8 else '✗'} | {r2:.1f}× {'✓' if r2 >= 8 else '✗'} | "
      f"{r3:.2f}× {'✓' if r3 <= 2 else '✗'} |")
w("")
t2 = ns_of(jwt_runs, "BM_Verify_Custauth/0/real_time/threads:2", real=True)
if t2 is not None:
    w(f"custauth on two threads sharing one CustomerAuth (32-byte key): {fmt_ns(t2)} wall time "
      f"per token per thread pair, i.e. {fmt_rate(1e9 / t2)} verifications per second in total.")
    w("")
w(f"Bar (≥ 8× both peers and within 2× of the floor): {verdict(verify_measured and verify_ok)}.")
w("")

cs = ns_of(jwt_runs, "BM_Verify_CustauthSessions")
c0 = ns_of(jwt_runs, "BM_Verify_Custauth/0")
lj0 = ns_of(jwt_runs, "BM_Verify_Libjwt/0")
w("### Verify with sessions on (32-byte key)")
w("")
w("The same verify on a handle with `TokenOptions::sessions` on: the token's payload carries "
  "`\"sid\"` after `exp`, and its session is checked (from the revocation cache) as well as "
  "its customer.")
w("")
w("| sessions off | sessions on | on / off (bar ≤ 1.3×) | libjwt / sessions on (bar ≥ 8×) |")
w("|---|---|---|---|")
sessions_ok = None not in (cs, c0, lj0)
if sessions_ok:
    r_on, r_lj = cs / c0, lj0 / cs
    sessions_ok = r_on <= 1.3 and r_lj >= 8
    w(f"| {fmt_ns(c0)} | {fmt_ns(cs)} | {r_on:.2f}× {'✓' if r_on <= 1.3 else '✗'} | "
      f"{r_lj:.1f}× {'✓' if r_lj >= 8 else '✗'} |")
else:
    w(f"| {fmt_ns(c0)} | {fmt_ns(cs)} | — | — |")
w("")
w(f"Bar (sessions on within 1.3× of off, and ≥ 8× libjwt): {verdict(sessions_ok)}.")
w("")

w("## 2. JWT issue (C++, one thread, median CPU time per token)")
w("")
w("custauth `TokenIssuer::issue` (the platform's header and payload bytes, base64url, HMAC) "
  "against libjwt (`jwt_new`, `jwt_set_alg`, kid header, four integer grants, `jwt_encode_str`) "
  "and, for information, cpp-jwt (`jwt_object{...}.signature()`).")
w("")
w("| key | custauth | libjwt | cpp-jwt | libjwt / custauth (bar ≥ 8×) | cpp-jwt / custauth |")
w("|---|---|---|---|---|---|")
issue_ok = True
issue_measured = False
for arg, label in (("0", "32 random bytes"), ("1", "platform, 2048 bytes")):
    c = ns_of(jwt_runs, f"BM_Issue_Custauth/{arg}")
    lj = ns_of(jwt_runs, f"BM_Issue_Libjwt/{arg}")
    cj = ns_of(jwt_runs, f"BM_Issue_CppJwt/{arg}")
    if None in (c, lj):
        w(f"| {label} | {fmt_ns(c)} | {fmt_ns(lj)} | {fmt_ns(cj)} | — | — |")
        issue_ok = False
        continue
    issue_measured = True
    r1 = lj / c
    issue_ok = issue_ok and r1 >= 8
    r2 = f"{cj / c:.1f}×" if cj else "—"
    w(f"| {label} | {fmt_ns(c)} | {fmt_ns(lj)} | {fmt_ns(cj)} | {r1:.1f}× "
      f"{'✓' if r1 >= 8 else '✗'} | {r2} |")
w("")
w(f"Bar (≥ 8× libjwt): {verdict(issue_measured and issue_ok)}.")
w("")

# --- 3: Python ---------------------------------------------------------------------------------
w("## 3. Token verify from Python (calls per second, best of 3 rounds)")
w("")
py = read_json("py_verify.out")
if py:
    w(f"Python {py.get('python')}, PyJWT {py.get('pyjwt')}. The same custauth-issued token; "
      "PyJWT `jwt.api_jwt.decode_complete(token, key, algorithms=[\"HS256\"])` (signature, exp, iat) then "
      "kid and utypid; custauth through the package (`Custauth.verify_token`, installed with pip "
      "into a venv: custauth_token_verify_claims) and through raw ctypes (`custauth_token_verify` "
      "on a \"memory:\" handle, the claims JSON parsed into a dict).")
    w("")
    pj = py.get("pyjwt_per_s")
    w("| path | verifications/s | ratio to PyJWT (bar for the package ≥ 8×) |")
    w("|---|---|---|")
    w(f"| PyJWT | {fmt_rate(pj)} | 1× |")
    for key, label in (("custauth_module_per_s", "custauth, bindings/python (the custauth package)"),
                       ("custauth_ctypes_per_s", "custauth, custauth_token_verify via raw ctypes")):
        v = py.get(key)
        if v:
            r = v / pj
            w(f"| {label} | {fmt_rate(v)} | {r:.1f}× {'✓' if r >= 8 else '✗'} |")
    w("")
    if py.get("custauth_module_error"):
        w(f"The ctypes module was not measured: {py['custauth_module_error']}.")
        w("")
    mod = py.get("custauth_module_per_s")
    raw = py.get("custauth_ctypes_per_s")
    if mod:
        w(f"Bar (the package ≥ 8× PyJWT): {verdict(mod / pj >= 8)}.")
    elif raw:
        w(f"Bar, judged on raw ctypes since the package was not measured (≥ 8× PyJWT): "
          f"{verdict(raw / pj >= 8)}.")
else:
    w("Not measured in this run (libcustauth.so or the C API did not build; see above).")
w("")

# --- 4: login ----------------------------------------------------------------------------------
login_runs, _ = gbench("login.json")
w("## 4. generateCustomerToken with a password (Argon2id ops 2, 64 MiB, SQLite file)")
w("")
lb = login_runs.get("BM_Login_PasswordVsBareVerify/iterations:60")
if lb and "error" not in lb:
    ov = lb["overhead_pct"]
    med = lb["median_pair_overhead_pct"]
    w("Each iteration runs one `generate_customer_token(email, password)` (lookup, chain, Argon2id "
      "verify behind the concurrency limit, token, audit row: "
      f"{lb['writes_per_login']:.0f} write transaction(s) per login, WAL, synchronous=FULL) and one "
      "bare `crypto_pwhash_str_verify` of the same stored hash, alternating their order; means "
      f"over {lb['iterations']} pairs.")
    w("")
    w("| custauth login (mean) | bare verify (mean) | custauth adds, mean | custauth adds, median "
      "of the pairs (bar ≤ 3 %) |")
    w("|---|---|---|---|")
    w(f"| {lb['custauth_ms']:.2f} ms | {lb['bare_verify_ms']:.2f} ms | {ov:+.2f} % | {med:+.2f} % "
      f"{'✓' if med <= 3 else '✗'} |")
    w("")
    w("The bar is judged on the median of the pairs' overheads: on a shared machine one stalled "
      "fsync (the login's audit row) or one preempted hash moves the mean by more than the bar.")
    w("")
    w(f"Bar: {verdict(med <= 3)} (the mean: {'within' if ov <= 3 else 'over'} the bar).")
else:
    w(f"Not measured: {lb.get('error') if lb else 'custauth_bench_login did not run'}.")
w("")
rss = read_json("rss.out")
w("### Peak memory of 64 concurrent logins")
w("")
if rss:
    mib = lambda k: rss[k] / 1024  # noqa: E731
    w("bench/rss_logins.cpp: 64 threads call generate_customer_token at once (64 customers, "
      f"default options: max_concurrent {rss['max_concurrent']}, memlimit "
      f"{rss['memlimit_kib'] // 1024} MiB); peak = VmHWM, reset after setup. Budget = RSS before "
      f"the logins ({mib('baseline_rss_kib'):.1f} MiB) + max_concurrent × memlimit + a fixed "
      f"overhead of {mib('fixed_overhead_kib'):.0f} MiB (thread stacks, malloc arenas, SQLite "
      "caches).")
    w("")
    w("| peak VmHWM | ru_maxrss (whole run) | budget | Argon2 slots in use (max seen) | "
      "logins failed | wall time |")
    w("|---|---|---|---|---|---|")
    w(f"| {mib('peak_vmhwm_kib'):.1f} MiB | {mib('ru_maxrss_kib'):.1f} MiB | "
      f"{mib('budget_kib'):.1f} MiB | {rss['max_in_flight_seen']} of {rss['max_concurrent']} | "
      f"{rss['failures']} of {rss['threads']} | {rss['seconds']:.2f} s |")
    w("")
    w(f"Bar (within budget, no failed login): "
      f"{verdict(rss['within_budget'] and rss['failures'] == 0)}.")
else:
    w("Not measured in this run.")
w("")

# --- 5: OTC ------------------------------------------------------------------------------------
w("## 5. Admin one-time code: issue + exchange round trip (SQLite file, WAL, synchronous=FULL)")
w("")
ob = login_runs.get("BM_Otc_RoundTripVsRawSqlite/iterations:150")
if ob and "error" not in ob:
    wpt = ob["writes_per_trip"]
    w(f"One round trip = `issue_otc` + `exchange_otc`: custauth makes {wpt:.0f} write transactions "
      "(counted by a forwarding Storage: the code with its otc.issue record; the login attempt; the "
      "sign-in with its otc.use and login.success records). The floor is the least the work needs: "
      "2 raw sqlite3 write transactions (`BEGIN IMMEDIATE`; store the code; `COMMIT`, then "
      "`BEGIN IMMEDIATE`; consume it; `COMMIT`) on another file with custauth's pragmas "
      "(journal_mode=WAL, synchronous=FULL, foreign_keys=ON, secure_delete=ON), interleaved with "
      f"custauth's round trips; {ob['iterations']} of each.")
    w("")
    w("| custauth round trips/s | floor (2 raw transactions)/s | custauth / floor (bar ≥ 80 %) |")
    w("|---|---|---|")
    w(f"| {ob['custauth_trips_per_s']:.0f} | {ob['floor_trips_per_s']:.0f} | "
      f"{ob['ratio_pct']:.1f} % {'✓' if ob['ratio_pct'] >= 80 else '✗'} |")
    w("")
    w(f"Bar: {verdict(ob['ratio_pct'] >= 80)}.")
else:
    w(f"Not measured: {ob.get('error') if ob else 'custauth_bench_login did not run'}.")
w("")

# --- 6: exchange -------------------------------------------------------------------------------
w("## 6. exchangeExternalCustomerToken, existing customer, one thread")
w("")
ex_runs, _ = gbench("exchange.json")
oa = read_json("py_oauth.out")
exs = ex_runs.get("BM_Exchange_Custauth/1/iterations:1000/real_time")
exm = ex_runs.get("BM_Exchange_Custauth/0/iterations:20000/real_time")
if (exs and "error" not in exs) or (exm and "error" not in exm):
    w("custauth: OAuth 1.0a verification (HMAC-SHA256), integration lookup, nonce insert, customer "
      "lookup, token — requests signed beforehand, each with its own nonce. oauthlib: "
      "`ResourceEndpoint.validate_protected_resource_request` of the same kind of request "
      "(bench/py_oauth.py; nonces kept in a Python set, no storage, so it does less than custauth: "
      "its figure is signature verification only).")
    w("")
    w("| path | exchanges/s | calls to Storage's writing methods per exchange | "
      "custauth / oauthlib |")
    w("|---|---|---|---|")
    oarate = oa.get("oauthlib_verify_per_s") if oa else None
    for b, label in ((exs, "custauth, SQLite file (WAL, FULL)"), (exm, "custauth, memory storage")):
        if b and "error" not in b:
            rate = b["items_per_second"]
            ratio = (f"{rate / oarate:.2f}×" if rate < oarate else f"{rate / oarate:.1f}×") \
                if oarate else "—"
            w(f"| {label} | {fmt_rate(rate)} | {b['writes_per_exchange']:.0f} | {ratio} |")
    if oarate:
        w(f"| oauthlib verification only (Python) | {fmt_rate(oarate)} | 0 | 1× |")
    w("")
    w("No bar was set for this figure. On a SQLite file each exchange waits for its durable "
      "write(s) (the nonce must survive a crash for replay protection to hold), which bounds it by "
      "the disk's fsync rate, not by CPU.")
else:
    w("Not measured in this run: "
      f"{(exs or exm or {}).get('error', 'custauth_bench_exchange did not build or run')}.")
    if oa:
        w(f"oauthlib's verification alone: {fmt_rate(oa['oauthlib_verify_per_s'])}.")
w("")

# --- 7: scaling --------------------------------------------------------------------------------
def series_of(name):
    """{(bench, impl, threads): series} of a custauth_bench_scaling / _pg output."""
    data = read_json(name) or {}
    return {(x["bench"], x["impl"], x["threads"]): x for x in data.get("series", [])}, data


def rate_of(sr, key):
    x = sr.get(key)
    if not x or x.get("error") or not x.get("rates"):
        return None
    return x["median_per_s"]


def write_failed_series(data):
    for x in data.get("series", []):
        if x.get("error"):
            w(f"- {x['bench']} {x['impl']} at {x['threads']} threads failed: {x['error']}")


def fmt_ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}×" if a and b else "—"


w("## 7. Scaling: 1 thread against 2 threads")
w("")
w(f"This machine has {os.cpu_count()} cores, so 2× is the ceiling. Ratio = the aggregate rate of 2 "
  "threads (or processes) / the rate of 1, both measured in this run, interleaved. No numeric bar "
  "was set; what a ratio should be read against is the ratio of the floor or peer next to it, "
  "which shows what this machine gives the same kind of work. Other processes on the machine take "
  "CPU from the 2-thread runs first (a 1-thread run leaves a core free for them), so load above "
  "~0.3 at the start or end lowers every 2-thread ratio.")
w("")
w("| benchmark | implementation | 1 thread | 2 threads, aggregate | ratio (2 / 1) | CPU time per "
  "operation, 1 → 2 threads |")
w("|---|---|---|---|---|---|")
scaling_rows = []  # (benchmark, impl, r1, r2)
cpu_per_op = {}  # (benchmark, impl): (ns at 1 thread, ns at 2 threads), Google Benchmark's
for bench, prefix in (("JWT verify, 32-byte key", "Verify"), ("JWT issue, 32-byte key", "Issue")):
    impls = (("custauth", "Custauth"), ("libjwt", "Libjwt"), ("cpp-jwt", "CppJwt"))
    if prefix == "Verify":
        impls += (("floor (HMAC)", "Floor"),)
    for label, name in impls:
        t1 = ns_of(jwt_runs, f"BM_{prefix}_{name}/0/real_time/threads:1", real=True)
        t2 = ns_of(jwt_runs, f"BM_{prefix}_{name}/0/real_time/threads:2", real=True)
        scaling_rows.append((bench, label, 1e9 / t1 if t1 else None, 1e9 / t2 if t2 else None))
        cpu_per_op[(bench, label)] = (
            ns_of(jwt_runs, f"BM_{prefix}_{name}/0/real_time/threads:1"),
            ns_of(jwt_runs, f"BM_{prefix}_{name}/0/real_time/threads:2"))
pys = (py or {}).get("scaling") or {}
for key, label in (("custauth_module", "custauth, bindings/python (the custauth package)"), ("pyjwt", "PyJWT")):
    v = pys.get(key)
    if v:
        scaling_rows.append(("Python verify, 2 processes", label, v.get("p1"), v.get("p2")))
for key, label in (("custauth_module", "custauth, bindings/python (the custauth package)"), ("pyjwt", "PyJWT")):
    v = pys.get(key)
    if v and v.get("t2"):
        scaling_rows.append(("Python verify, 2 threads of 1 process", label, v.get("p1"),
                             v.get("t2")))
sc, sc_data = series_of("scaling.out")
for bench, label in (("login", "generateCustomerToken, Argon2id ops 2 / 64 MiB, SQLite"),
                     ("otc", "OTC issue + exchange, SQLite WAL FULL"),
                     ("exchange_sqlite", "exchangeExternalCustomerToken, SQLite WAL FULL"),
                     ("exchange_memory", "exchangeExternalCustomerToken, memory storage")):
    for impl, impl_label in (("custauth", "custauth"), ("floor", {
            "login": "floor: bare crypto_pwhash_str_verify",
            "otc": "floor: raw sqlite3 write transactions, a connection per thread"}.get(bench)),
            ("floor_shared", "floor: raw sqlite3 write transactions, one connection behind a "
             "mutex")):
        if (bench, impl, 1) in sc:
            scaling_rows.append((label, impl_label, rate_of(sc, (bench, impl, 1)),
                                 rate_of(sc, (bench, impl, 2))))
oas = (oa or {}).get("scaling")
if oas:
    scaling_rows.append(("exchangeExternalCustomerToken, 2 processes", "oauthlib verification "
                         "(Python)", oas.get("p1"), oas.get("p2")))
for bench, label, r1, r2 in scaling_rows:
    c1, c2 = cpu_per_op.get((bench, label), (None, None))
    cpu = f"{fmt_ns(c1)} → {fmt_ns(c2)} ({(c2 / c1 - 1) * 100:+.0f} %)" if c1 and c2 else "—"
    w(f"| {bench} | {label} | {fmt_rate(r1)} | {fmt_rate(r2)} | {fmt_ratio(r2, r1)} | {cpu} |")
if not scaling_rows:
    w("| — | not measured in this run | — | — | — | — |")
w("")
write_failed_series(sc_data)
w("How each was measured: the JWT rows are Google Benchmark runs of the same functions as "
  "sections 1 and 2 with `->Threads(1)->Threads(2)->UseRealTime()` (both threads share one "
  "CustomerAuth, the same token and key; medians of the repetitions; the last column is the CPU "
  "time each operation took, which grows at 2 threads when the threads contend for a cache line "
  "or a lock, or share a core with other processes); the Python rows fork 1 or 2 "
  "worker processes (bench/py_scaling.py), each with its own interpreter, its own custauth handle "
  "on `memory:` and its own token, or run 2 threads of one process on one handle (ctypes releases "
  "the GIL only for the C call, so this row shows the GIL, not custauth); the storage rows are "
  "bench/scaling_bench.cpp: threads share one CustomerAuth, each signing in (or getting a code) "
  "for its own customer, runs of custauth and its floor interleaved, "
  f"{sc_data.get('rounds', '?')} round(s) of each, medians; the OTC floor gives each thread its own "
  "sqlite3 connection to one file, and each exchange run starts on fresh storage with requests "
  "signed before it, each with its own nonce. With a connection per thread, a writer that finds the file locked sleeps in "
  "SQLite's busy handler (sqlite3_busy_timeout: 1, 2, 5, 10 ms, ...), where custauth's own busy "
  "handler sleeps 1, 1, 2, 2, 5 ms, ...; threads sharing one connection behind a mutex never "
  "sleep, which is the ceiling of 2 threads on one SQLite file.")
w("")
scaling_by = {(bench, label): (r1, r2) for bench, label, r1, r2 in scaling_rows}


def ratio_2_1(bench, label):
    r1, r2 = scaling_by.get((bench, label), (None, None))
    return r2 / r1 if r1 and r2 else None


w("Reading the ratios (what the profiles of this benchmark showed; perf, 2 threads against 1):")
w("")
cv = ratio_2_1("JWT verify, 32-byte key", "custauth")
fv = ratio_2_1("JWT verify, 32-byte key", "floor (HMAC)")
DESIGN = ("The verify path writes no memory shared between threads: each thread keeps copies of "
          "the revocation times it used, valid while a generation counter that only a revocation "
          "(or a cache refresh) moves is unchanged; the key ring is an immutable snapshot behind "
          "an atomic pointer. (Until this version every verify took the revocation cache's "
          "`std::shared_mutex` as a reader, whose cache line then moved between the cores on "
          "every call: 1.29× against the floor's 1.97×.) On a quiet machine (load 1.06 and "
          "falling, nothing else running; `build/bench/bench/custauth_bench_jwt "
          "--benchmark_filter='BM_Verify_(Custauth|Floor)/0/real_time'`) verify took 258 ns at 1 "
          "thread and 131 ns per verify at 2 (1.97×, CPU time per verify 258 → 260 ns), the "
          "floor 129 → 64.9 ns (1.99×).")
if cv and fv and (cv < fv - 0.15 or fv < 1.5):
    w(f"- **JWT verify scales {cv:.2f}× where its floor scales {fv:.2f}× in this run.** "
      "The 2-thread runs lost CPU to other processes here (the load average above). " + DESIGN)
elif cv and fv:
    w(f"- JWT verify scales {cv:.2f}×, its floor {fv:.2f}×. " + DESIGN)
if fv and fv < 1.5:
    w("- The same holds for every 2-thread figure of this run whose floor or peer stayed near "
      "1×: other processes had the second core.")
w("- Argon2id at 64 MiB runs on each core on its own; the login and its bare-verify floor scale "
  "alike.")
w("- SQLite commits one writer at a time and each commit waits for its fsync (WAL, FULL): 2 "
  "threads on one file do not commit faster than 1, for raw sqlite3 as for custauth (OTC, and "
  "exchange on a file).")
em = ratio_2_1("exchangeExternalCustomerToken, memory storage", "custauth")
if em is not None and em < 1.6:
    w(f"- exchange on memory storage ({em:.2f}×): MemoryStorage keeps its whole state behind one "
      "mutex, which the 4 Storage calls of each exchange take in turn (its prune_nonces walks "
      "only the expired nonces, through an index by expiry). MemoryStorage is for tests.")
w("- Python threads: the GIL runs one thread's Python at a time; ctypes releases it only for the "
  "C call, which is a small part of a verify, so 2 threads of one process gain nothing; 2 "
  "processes (a pre-forking server's workers) are the figure to compare.")
w("")

# What the profile of the PostgreSQL benchmarks shows (bench/RESULTS.md's explanation of the gap
# to the floor; reviewed against each new profile, see the note in section 8).
PG_ANALYSIS = (
    "Beyond the round trips counted above, the gap is the work per round trip. custauth prepares "
    "each statement once per pooled connection (PQprepare, then PQexecPrepared), as the floor "
    "does, so the server does not parse, analyse and plan it on every call; the unprepared floor "
    "shows what that would cost on the same trivial statements (and what custauth pays with "
    "PostgresOptions::prepare_statements = false, behind a pooler in transaction mode). "
    "custauth's statements do more than the floor's one-row INSERT or primary-key SELECT (e.g. "
    "the customer lookup by website and lower(email), the audit row with its JSON detail, the "
    "nonce's unique key), and its client threads share a pool of 4 connections where each floor "
    "thread has its own.")

# --- 8: PostgreSQL -----------------------------------------------------------------------------
w("## 8. PostgreSQL: login, OTC round trip and external exchange at 1, 2 and 4 threads")
w("")
pg_skip = (read("pg_skipped.txt") or "").strip()
pgs, pg_data = series_of("pg.out")
if pg_skip or pg_data.get("skipped") or not pgs:
    reason = pg_skip or pg_data.get("skipped") or "custauth_bench_pg did not run (see above)"
    w(f"**NOT MEASURED in this run: {reason}.** Install the PostgreSQL server (scripts/setup "
      "installs Debian's `postgresql`) and run scripts/bench again.")
else:
    w(f"PostgreSQL {pg_data.get('server_version')}: a throwaway cluster started by scripts/bench "
      "(scripts/pg-test-server: unix socket, on this same 2-core machine, fsync, full_page_writes "
      "and synchronous_commit off; the data is thrown away), so the server's backends compete with "
      "the client threads for the 2 cores. custauth: one CustomerAuth on one PostgresStorage with "
      "its default pool of 4 connections, shared by the client threads; each thread signs in (gets "
      "a code) for its own customer; the exchange requests are signed before each run. The floor: "
      "what a minimal implementation on plain libpq needs, i.e. as many single-statement "
      "autocommit round trips as custauth makes Storage calls for the operation (prepared "
      "statements, each thread its own connection: an INSERT of a secret-sized row per call that "
      "writes, a SELECT of one row by primary key per call that reads), plus, for the login, one "
      "bare `crypto_pwhash_str_verify` of the same hash at the same cheap parameters. custauth's "
      "own round trips are counted by wrapping libpq's PQexecPrepared, PQexecParams and PQexec; "
      "they include the BEGIN and COMMIT of its transactions, not the PQprepare of each statement "
      "(once per pooled connection). Runs interleaved, "
      f"{pg_data.get('rounds', '?')} round(s) of {pg_data.get('seconds', 0):.1f} s, medians; the "
      "unprepared floor sends the same statements with PQexecParams, as custauth does with "
      "prepare_statements = false.")
    w("")
    w("| operation | threads | custauth ops/s | floor ops/s (prepared) | custauth / floor | "
      "floor, unprepared (PQexecParams) | custauth / unprepared floor | scaling vs 1 thread: "
      "custauth, floor |")
    w("|---|---|---|---|---|---|---|---|")
    pg_notes = []
    for bench, label in (("login", "login (CheapArgon2ForTests)"),
                         ("otc", "OTC issue + exchange"),
                         ("exchange", "exchangeExternalCustomerToken, existing customer")):
        cost = (pg_data.get("ops") or {}).get(bench, {})
        c1 = rate_of(pgs, (bench, "custauth", 1))
        f1 = rate_of(pgs, (bench, "floor", 1))
        for t in (1, 2, 4):
            c = rate_of(pgs, (bench, "custauth", t))
            f = rate_of(pgs, (bench, "floor", t))
            u = rate_of(pgs, (bench, "floor_unprepared", t))
            pct = lambda a, b: f"{a / b * 100:.0f} %" if a and b else "—"  # noqa: E731
            w(f"| {label} | {t} | {fmt_rate(c)} | {fmt_rate(f)} | {pct(c, f)} | {fmt_rate(u)} | "
              f"{pct(c, u)} | {fmt_ratio(c, c1)}, {fmt_ratio(f, f1)} |")
        if cost:
            calls = cost["storage_reads"] + cost["storage_writes"]
            extra = cost["round_trips"] - calls
            pg_notes.append(
                f"{label}: {cost['storage_reads']} Storage call(s) that read and "
                f"{cost['storage_writes']} that write; custauth makes {cost['round_trips']} libpq "
                f"round trips for them" + (f" ({extra} more: BEGIN/COMMIT of its transactions)"
                                           if extra > 0 else ", as many as the floor"))
    w("")
    w("What one operation costs (counted on a first operation, one thread):")
    w("")
    for n in pg_notes:
        w(f"- {n}.")
    w("")
    write_failed_series(pg_data)
    extra_trips = [c["round_trips"] - c["storage_reads"] - c["storage_writes"]
                   for c in (pg_data.get("ops") or {}).values()]
    w("No bar was set for these figures. " + (
        "custauth makes no more round trips than the floor on these paths (each Storage call it "
        "makes here is one autocommit statement). " if not any(extra_trips) else
        "Where custauth makes more round trips than Storage calls (the BEGIN and COMMIT around a "
        "read-modify-write transaction, which keeps a rule atomic across the fleet), its rate is "
        "below the floor by about that proportion. ") + PG_ANALYSIS)
w("")

timing = read_json("timing.out")
w(TIMING_HEADING)
w("")
if timing and "pairs" in timing:
    w(timing_section(timing))
elif timing:
    w("custauth_bench_timing printed an older format; rerun it.")
else:
    w("Not measured in this run (custauth_bench_timing did not build or run).")
w("")

imported = read("import.md")
if imported:
    w(imported.rstrip("\n").replace("## Import of", "## 9. Import of", 1))
else:
    w("## 9. Import of platform customers")
    w("")
    w("Not measured in this run (the CLI did not build, or bench/import_bench.py failed).")
w("")

storage = read_json("storage.out")
w("## 10. Storage: bytes per unauthenticated request, and the plateau of a steady stream")
w("")
if storage:
    n = storage["requests"]
    w("bench/storage_growth.cpp (custauth_bench_storage): a SQLite file on a test handle's clock, "
      f"cheap Argon2id. Each kind: {n} requests, each for a new random unknown email, within one "
      "hour (so nothing has expired yet); the growth of the pages in use after a WAL checkpoint "
      "((page_count - freelist_count) × page_size), divided by the requests.")
    w("")
    w("| request | bytes stored per request | rows it adds (kept for) |")
    w("|---|---:|---|")
    what = {
        "failed_login": ("failed login, unknown email, random client IP",
                         "1 audit (audit_retention_days)"),
        "reset_no_ip": ("reset request, unknown email, no client IP",
                        "1 rate bucket + 1 event (1 h)"),
        "reset_random_ip": ("reset request, unknown email, random client IP",
                            "2 rate buckets + 2 events (1 h)"),
        "reset_refused": ("reset request refused by the rate limit", "none"),
    }
    for key, (label, rows) in what.items():
        k = storage["kinds"].get(key)
        if k:
            w(f"| {label} | {k['bytes_per_request']:.0f} | {rows} |")
    p = storage["plateau"]
    days = p["days"]
    w("")
    w(f"The plateau: {p['per_day']} requests a day (half failed logins, half reset requests from "
      f"random client IPs, evenly spread), audit_retention_days = {p['audit_retention_days']}, "
      "for four days; the bytes in use at the end of each day:")
    w("")
    w("| day 1 | day 2 | day 3 | day 4 | day 4 / day 1 (bar ≤ 1.5) | rows left for a prune |")
    w("|---:|---:|---:|---:|---:|---:|")
    ratio = days[-1] / days[0] if days[0] else float("inf")
    w(f"| {days[0] / 1024:.0f} KiB | {days[1] / 1024:.0f} KiB | {days[2] / 1024:.0f} KiB | "
      f"{days[3] / 1024:.0f} KiB | {ratio:.2f} | {p['left_for_prune']} |")
    w("")
    w(f"Bar (≤ 1.5): {verdict(ratio <= 1.5)}. Each write removes up to 4 expired rows of its table "
      "(rate buckets with their events), so the data stays at one retention period's worth; the "
      "plateau is about (requests per retention period) × (bytes per request).")
else:
    w("Not measured in this run (custauth_bench_storage did not build or run).")
w("")

w("## OAuth 1.0a parsing: 8,000 and 80,000 parameter names")
w("")
op_runs, _ = gbench("oauth_parse.json")
op_rows = []
for kind, label in (("FormBody", "form body (`OAuth1Verifier::read`: parse, base string, "
                                 "duplicate check)"),
                    ("Header", "Authorization header (`ParseAuthorizationHeader`)")):
    small = op_runs.get(f"BM_OAuthParse_{kind}/8000")
    large = op_runs.get(f"BM_OAuthParse_{kind}/80000")
    if small and large and "error" not in small and "error" not in large:
        t8, t80 = small["real_time"], large["real_time"]  # milliseconds
        op_rows.append(f"| {label} | {t8:.2f} ms ({t8 * 1e6 / 8000:.0f} ns/name) | "
                       f"{t80:.2f} ms ({t80 * 1e6 / 80000:.0f} ns/name) | {t80 / t8:.1f}× |")
caps = op_runs.get("BM_OAuthParse_DefaultCaps/80000")
if op_rows:
    w("Distinct `oauth_*` names, parsed with the caps raised (median of 3 repetitions). Linear "
      "parsing takes about 10× as long for 10× the names; a duplicate scan per name took 100×.")
    w("")
    w("| where the names are | 8,000 names | 80,000 names | 80k / 8k (linear: ≈10) |")
    w("|---|---|---|---|")
    for row in op_rows:
        w(row)
    if caps and "error" not in caps:
        w("")
        w(f"With the default caps (256 parameters, 256 KiB) the 80,000-name request is refused "
          f"before parsing, in {caps['real_time']:.2f} µs.")
else:
    w("Not measured in this run (custauth_bench_oauth_parse did not build or run).")
w("")

w("## 10. The C boundary: custauth_token_verify_claims against CustomerAuth::verify_token")
w("")
capi = read_json("capi.out")
if capi:
    c, cpp = capi.get("c_verify_token_claims_ns"), capi.get("cpp_verify_token_ns")
    w("`custauth_bench_capi` (bench/capi_boundary_bench.cpp): one process, one SQLite file, the same "
      "token, both paths through libcustauth.so; rounds of verifications alternating between "
      f"the two paths, median of {capi.get('rounds')} rounds of {capi.get('per_round')}.")
    w("")
    w("| CustomerAuth::verify_token | custauth_token_verify_claims | C / C++ (bar ≤ 1.15×) |")
    w("|---|---|---|")
    w(f"| {fmt_ns(cpp)} | {fmt_ns(c)} | {c / cpp:.2f}× {'✓' if c / cpp <= 1.15 else '✗'} |")
else:
    w("Not measured in this run (custauth_bench_capi did not build or run).")
w("")

w("## 11. Token verify from PHP under PHP-FPM (the documented preload)")
w("")
php = read_json("php_fpm_verify.out")
if php:
    w(f"bench/php_fpm_verify.sh: one request of a 1-worker php-fpm pool (PHP {php.get('php')}, "
      f"ffi.enable={php.get('ffi_enable')}, opcache.preload=bindings/php/preload.php), the same "
      f"token verified {php.get('n')} times per round through the package (`Custauth::verifyToken`, "
      "FFI::scope) and with a pure-PHP HS256 check (`hash_hmac` + `hash_equals` + `json_decode`, "
      "then alg, kid, utypid, exp); best of 5 rounds.")
    w("")
    w("| custauth package | pure PHP | pure PHP / custauth |")
    w("|---|---|---|")
    w(f"| {fmt_ns(php.get('custauth_ns'))} | {fmt_ns(php.get('php_ns'))} | "
      f"{php.get('php_over_custauth')}× |")
else:
    w("Not measured in this run (php-fpm, cgi-fcgi or the PHP package did not run).")
w("")

w("## 12. The reference HTTP host: GET /me against a static body")
w("")
http = read_json("http_host.out")
if http and "me" in http and "static" in http:
    me, st = http["me"], http["static"]
    w(f"bench/http_host_bench.py: custauth-http-host (examples/http_host, cpp-httplib, TCP_NODELAY, "
      f"keep-alive) on a fresh SQLite file, loaded from the same machine by custauth_http_load "
      f"(bench/http_load.cpp): {http['connections']} keep-alive connections sending requests "
      f"back to back for {http['seconds']:g} s per path, every latency kept. `GET /me` verifies "
      "the customer token and reads the customer (graphql::CurrentCustomer) on each request; "
      "`GET /health` answers a static body from the same server. Load generator and host share "
      "the machine's cores.")
    w("")
    w("| path | requests/s | p50 | p99 | max | requests | errors |")
    w("|---|---|---|---|---|---|---|")
    for row in (me, st):
        w(f"| `{row['path']}` | {row['rps']:,.0f} | {row['p50_us']} µs | {row['p99_us']} µs | "
          f"{row['max_us']} µs | {row['requests']:,} | {row['errors']} |")
    w("")
    w(f"`/me` / static: {me['rps'] / st['rps']:.2f}× the requests per second, "
      f"p50 {me['p50_us'] / max(st['p50_us'], 1):.2f}×, p99 {me['p99_us'] / max(st['p99_us'], 1):.2f}×.")
    abm, abs_ = http.get("ab_me"), http.get("ab_static")
    if abm and abs_ and "rps" in abm and "rps" in abs_:
        w("")
        w(f"The same through `ab -k -c {http['connections']} -t {http['seconds']:g}` "
          f"(apache2-utils; whole milliseconds): `/me` {abm['rps']:,.0f} requests/s (p50 "
          f"{abm['p50_ms']} ms, p99 {abm['p99_ms']} ms, {abm['failed']} failed), static "
          f"{abs_['rps']:,.0f} requests/s (p50 {abs_['p50_ms']} ms, p99 {abs_['p99_ms']} ms); "
          f"ratio {abm['rps'] / abs_['rps']:.2f}×.")
else:
    w("Not measured in this run (custauth-http-host or custauth_http_load was not built: "
      "cpp-httplib missing?).")
w("")

w("## Repeat")
w("")
w("```")
w(COMMAND)
w("```")
elapsed = (read("elapsed.txt") or "").strip()
if elapsed:
    w("")
    w(f"This run took {elapsed} s in all (setup, build, every benchmark).")
w("")
w("It installs what is missing (scripts/setup), configures `cmake --preset release -B build/bench "
  "-DCUSTAUTH_BENCH=ON` (`$CUSTAUTH_BENCH_BUILD` names another build directory), builds and runs "
  "the benchmarks, starts a throwaway PostgreSQL cluster for section 8 and stops it (also on "
  "failure), and rewrites this file. Raw outputs stay "
  f"in {os.path.relpath(os.path.abspath(OUT))}/. Measure on a quiet machine: the load average above says how quiet "
  "this one was.")
print("\n".join(lines))
