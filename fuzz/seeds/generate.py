#!/usr/bin/env python3
"""Rebuilds the seed corpora under fuzz/seeds/<target>/ from the crates' test tables.

    python3 fuzz/seeds/generate.py     # needs PyYAML for the mapper table

Every file is named after a hash of its bytes, so re-running is idempotent. The seeds are
the inputs of the parser tables (statsd-proto/tests/data/*.txt), the configs and names of
the mapper table (statsd-mapper/tests/data/mapper.yaml) and the shipped Mastodon mapping,
laid out the way each fuzz target reads its input (see fuzz/fuzz_targets/<target>.rs).
"""
import hashlib
import os
import re
import shutil

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
PROTO = os.path.join(ROOT, "statsd-proto", "tests", "data")


def unescape(text):
    """The tables' notation: \\n, \\r, \\t, \\\\ and \\xHH."""
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        c = raw[i : i + 1]
        if c == b"\\" and i + 1 < len(raw):
            n = raw[i + 1 : i + 2]
            if n == b"n":
                out += b"\n"; i += 2; continue
            if n == b"r":
                out += b"\r"; i += 2; continue
            if n == b"t":
                out += b"\t"; i += 2; continue
            if n == b"\\":
                out += b"\\"; i += 2; continue
            if n == b"x" and re.fullmatch(rb"[0-9a-fA-F]{2}", raw[i + 2 : i + 4] or b""):
                out.append(int(raw[i + 2 : i + 4], 16)); i += 4; continue
        out += c
        i += 1
    return bytes(out)


def table_inputs(name):
    with open(os.path.join(PROTO, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("in:"):
                yield unescape(line[3:].lstrip(" "))


targets = {}


def add(target, data):
    targets.setdefault(target, set()).add(data)


packets = [p for name in ("lines.txt", "packets.txt", "errors.txt") for p in table_inputs(name)]
dog = list(table_inputs("dogstatsd.txt"))
events = list(table_inputs("events.txt"))
for p in packets + dog + events:
    # parse_packet: a flags byte, then the packet (all tag styles + events; DogStatsD preset).
    add("parse_packet", b"\x1f" + p)
    add("parse_packet", b"\x3f" + p)
    for line in p.split(b"\n"):
        if line:
            add("parse_line", line)
    # pipeline: an options byte, then packets separated by NUL.
    add("pipeline", bytes([0x05]) + p)
    add("pipeline", bytes([0xc2]) + p)
for p in events + dog:
    for line in p.split(b"\n"):
        if line.startswith(b"_e{"):
            add("parse_event", line[3:])
        if line.startswith(b"_sc|"):
            add("parse_service_check", line[4:])

with open(os.path.join(ROOT, "statsd-mapper", "tests", "data", "mapper.yaml"), encoding="utf-8") as f:
    scenarios = yaml.safe_load(f)
kinds = {"counter": 0, "gauge": 1, "observer": 2}
for scenario in scenarios:
    config = scenario.get("config")
    if isinstance(config, str):
        add("mapper_config", config.encode("utf-8"))
    for case in scenario.get("cases") or []:
        name = str(case.get("name", ""))
        add("mapper_match", bytes([kinds.get(case.get("type"), 0)]) + name.encode("utf-8"))
        add("pipeline", b"\x3f" + name.encode("utf-8") + b":1|c\x00" + name.encode("utf-8") + b":2|ms")
with open(os.path.join(ROOT, "examples", "mastodon", "statsd-mapping.yml"), "rb") as f:
    add("mapper_config", f.read())
for name in [b"a.b.c", b"a.b", b"x.y.z", b"http.get.users_count", b"svc.api.200", b"h.x",
             b"Mastodon.production.sidekiq.ActivityPub..DeliveryWorker.success",
             b"Mastodon.production.web.ApiController.index.json.total_duration"]:
    for kind in range(3):
        add("mapper_match", bytes([kind]) + name)

for target, inputs in targets.items():
    directory = os.path.join(SEEDS, target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for data in inputs:
        with open(os.path.join(directory, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
            f.write(data)
    print(f"{target}: {len(inputs)} seeds")
