#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""Import of ROWS generated platform customers (customer_entity CSV): rows/s and peak RSS of
`custauth customer import` on SQLite (and on PostgreSQL when a URI is given), beside a raw
`sqlite3 .import` of the same file into a plain table (the floor: parsing and inserting only).

    bench/import_bench.py CUSTAUTH_CLI WORKDIR [--rows N] [--postgres-uri URI] [--markdown OUT]

Every row has a legacy password hash (version 1, as most of the platform's customers do), about a
tenth a lock or an unconfirmed account, unicode names. Peak RSS is read from the child's rusage
(ru_maxrss), so it is the importing process alone.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import time

HEADER = ("entity_id,website_id,email,group_id,firstname,lastname,password_hash,confirmation,"
          "is_active,created_at,updated_at,failures_num,first_failure,lock_expires,created_in,"
          "is_subscribed,allow_remote_shopping_assistance\n")
FIRST = ["Veronica", "John", "Zoë", "Åsa", "Łukasz", "Émile", "太郎", "Maria", "Ngozi", "Sven"]
LAST = ["Costello", "Doe", "O'Brien", "Müller", "Kowalski", "García", "山田", "Smith", "Okafor"]


def generate(path, rows):
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(1, rows + 1):
            salt = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
            digest = "%064x" % rnd.getrandbits(256)
            locked = i % 10 == 0
            f.write('%d,%d,customer%d@example.com,1,"%s","%s",%s:%s:1,%s,%d,'
                    '2021-02-02 01:07:13,2024-02-02 05:11:17,%d,%s,%s,Default Store View,%d,%d\n' % (
                        i, 1 + (i % 2), i, rnd.choice(FIRST), rnd.choice(LAST), digest, salt,
                        "abc123" if i % 7 == 0 else "\\N", 0 if i % 13 == 0 else 1,
                        10 if locked else 0,
                        "2025-05-29 06:10:00" if locked else "\\N",
                        "2030-01-01 00:00:00" if locked else "\\N", i % 3 == 0, i % 5 == 0))


def measured(cmd):
    """(seconds, peak RSS MiB, stdout) of cmd, RSS from wait4 on that process alone."""
    start = time.perf_counter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.execvp(cmd[0], cmd)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    out = b"".join(chunks).decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        sys.exit("failed (%d): %s\n%s" % (code, " ".join(cmd), out))
    return seconds, usage.ru_maxrss / 1024.0, out


def import_postgres(args, uri, csv):
    key = os.path.join(args.workdir, "pg.key")
    if os.path.exists(key):
        os.remove(key)
    subprocess.run([args.cli, "--db", uri, "--key-file", key, "init"], check=True,
                   capture_output=True)
    s, rss, out = measured([args.cli, "--db", uri, "--key-file", key, "customer", "import", csv,
                            "--quiet"])
    if '"created": %d' % args.rows not in out:
        sys.exit("custauth import (PostgreSQL) did not create every row:\n" + out)
    return ("custauth customer import, PostgreSQL", s, rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("workdir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--postgres-uri")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    csv = os.path.join(args.workdir, "customer_entity_%d.csv" % args.rows)
    if not os.path.exists(csv):
        generate(csv, args.rows)
    size_mib = os.path.getsize(csv) / 2**20
    results = []

    # The floor: sqlite3's own CSV import into a table without constraints, on a WAL file.
    floor_db = os.path.join(args.workdir, "floor.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(floor_db + suffix):
            os.remove(floor_db + suffix)
    subprocess.run(["sqlite3", floor_db, "PRAGMA journal_mode=WAL;"], check=True,
                   capture_output=True)
    floor_s, floor_rss, _ = measured(["sqlite3", floor_db, ".mode csv", ".import %s t" % csv])
    results.append(("sqlite3 .import (floor)", floor_s, floor_rss))

    db = os.path.join(args.workdir, "custauth.db")
    for suffix in ("", "-wal", "-shm", ".key"):
        path = (db[:-3] + ".key") if suffix == ".key" else db + suffix
        if os.path.exists(path):
            os.remove(path)
    subprocess.run([args.cli, "--db", db, "init"], check=True, capture_output=True)
    s, rss, out = measured([args.cli, "--db", db, "customer", "import", csv, "--quiet"])
    if '"created": %d' % args.rows not in out:
        sys.exit("custauth import did not create every row:\n" + out)
    results.append(("custauth customer import, SQLite", s, rss))

    if args.postgres_uri:
        # A database of its own, dropped afterwards: the import always starts empty.
        name = "custauth_import_bench_%d" % os.getpid()
        uri = re.sub(r"^(postgres(?:ql)?://[^/?]*)(/[^?]*)?", lambda m: m.group(1) + "/" + name,
                     args.postgres_uri)
        subprocess.run(["psql", args.postgres_uri, "-qc", "CREATE DATABASE " + name], check=True)
        try:
            results.append(import_postgres(args, uri, csv))
        finally:
            subprocess.run(["psql", args.postgres_uri, "-qc", "DROP DATABASE " + name], check=True)

    lines = ["## Import of %d platform customers (%.0f MiB CSV)" % (args.rows, size_mib), "",
             "| what | seconds | rows/s | peak RSS | vs sqlite3 .import |",
             "|---|---:|---:|---:|---:|"]
    for name, s, rss in results:
        lines.append("| %s | %.2f | %.0f | %.1f MiB | %.2f× the time |" % (
            name, s, args.rows / s, rss, s / floor_s))
    lines += ["", "Bars: SQLite ≥ 100,000 rows/s with RSS below 64 MiB; PostgreSQL ≥ 50,000 rows/s.",
              "Each custauth row is checked (email, names, hash format, numbers, times, duplicates "
              "within the file) and written with its unique email index; the floor only splits "
              "and inserts text.", ""]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
