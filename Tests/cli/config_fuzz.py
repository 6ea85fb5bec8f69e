#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Config fuzz: seeded mutations of valid configurations through
`dialtone check-config`; each accepted one is started with `dialtone serve`
(virtual spans with the built-in simulator only) and stopped with SIGTERM.

Fails on: a check-config or serve exit by signal (or code >= 128), a hang
(20 s), a refusal that does not name FILE:LINE:COLUMN: KEY, a serve that
fails to start without a message. Usage (see config-fuzz.sh):

  config_fuzz.py BIN [--seed N] [--count N] [--serve-max N] [--demo-every N]

Mutations are line-based text edits, so the line numbers stay meaningful and
no YAML library is needed. `@SCRATCH@` in a mutation is the case's own
directory (mkdtemp under /tmp, 17 bytes), so paths can straddle the 107-byte
Unix socket limit.
"""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPTS = os.path.join(ROOT, "prompts")
TIMEOUT = 20.0

# Valid configurations to mutate, besides the shipped ones: every section,
# every kind of number, date and time; all spans virtual with the simulator.
EXTRA_BASES = {
    "all-keys.yaml": """\
daemon:
  control_socket: var/run/control.sock
  database: var/dialtone.sqlite
  log_level: warning
  drain_seconds: 2.5
  pcap: var/dchan.pcap
tone_sets:
  custom:
    dial: "350+440@-13"
    ringback: "440+480@-19/2000,4000"
    busy: "480+620@-24/500,500"
    congestion: "480+620@-24/250,250,250,250"
spans:
  - name: carrier
    type: T1
    role: cpe
    switchtype: national
    law: ulaw
    framing: esf
    coding: b8zs
    channels: 1-23
    overlap: true
    debug: 0
    tones: custom
    dtmf: {standard: etsi, min_level: -35, dialtone_filter: false}
    peer: simulator
  - {name: pbx, type: E1, role: net, switchtype: euroisdn_e1, channels: [1, 2, "3-9", 17], tones: uk}
prompts:
  directory: @PROMPTS@
  language: en
  languages: [en]
schedules:
  hours:
    open: ["mon-fri 08:30-17:45", "sat 09:00-12:00", "sun 00:00-24:00"]
    holidays: ["2028-02-29", "2026-12-31", "1970-01-01", "2200-12-31"]
    timezone: Europe/Berlin
menus:
  main:
    prompt: welcome
    invalid_prompt: invalid
    timeout_prompt: timeout
    first_digit_timeout: 4.5
    inter_digit_timeout: 2
    retries: 2
    failure: {hangup: goodbye}
    options:
      "1": {route: "5551000", failure: {menu: main}}
      "2": {menu: ext}
      "9": {schedule: hours, open: {menu: main}, closed: {hangup: closed}}
  ext:
    prompt: enter-account
    collect: {variable: ext, min_digits: 3, max_digits: 4, terminator: "#", then: {route: "555${ext}"}}
recording:
  directory: var/recordings
  format: alaw
  layout: mono
  calls: [{span: carrier, percent: 12.5}, {route: "555", percent: 100}]
  on_demand: "*1"
routes:
  - match: "5552000"
    menu: main
  - prefix: "555"
    to: [pbx, carrier]
    strip: 3
    prepend: "9"
    answer_timeout: 45
simulator:
  calls_per_second: 2
  hold_seconds: 1.5
  max_calls: 10
  answer_delay: 0.1
  dial_numbers: ["5552000", "5551000"]
""",
    "small.yaml": """\
daemon: {control_socket: var/c.sock, database: var/d.sqlite, drain_seconds: 0}
spans:
  - {name: a, type: E1, role: cpe, switchtype: euroisdn_e1}
  - {name: b, type: E1, role: net, switchtype: euroisdn_e1, channels: 1-15}
routes:
  - {prefix: "1", to: b, answer_timeout: 1, strip: 32}
""",
}

NUMBERS = ["1e300", "-1e300", "-1", "0", "-0", ".nan", ".NaN", ".inf", "-.inf", "9223372036854775807",
           "9223372036854775808", "-9223372036854775808", "99999999999999999999999", "0.0001", "1e-300",
           "4.9e-324", "1.5", "0.5", "3600", "3600.0001", "3601", "65535", "65536", "0x7fffffffffffffff",
           "0o777", "100", "100.1", "101", "64", "10000", "10001", "1_000", "'12'", "\"7\"", "true"]
# In range for most keys: half the number mutations use these, so more configs get to serve.
PLAUSIBLE = ["0", "1", "2", "2.5", "5", "10", "20", "30", "60", "100", "0.5", "0.1", "3600", "64", "12.5",
             "32", "255", "300", "1000", "8192", "10000", "65535"]
DATES = ["2026-02-31", "2026-13-01", "2026-00-00", "2026-04-31", "2027-02-29", "2028-02-29", "2100-02-29",
         "9223372036854775807-01-01", "0000-01-01", "1969-12-31", "2201-01-01", "2200-12-31", "2026-1-1",
         "2026-02-3x", "", "2026-12-25T10:00:00", "-2026-01-01", "２０２６-01-01"]
TIMES = ["25:00-26:00", "00:00-24:00", "00:00-24:01", "8:00-9:00", "23:59-00:00", "12:60-13:00",
         "99999999999999999999:00-10:00", "00:00-00:00", "24:00-24:00", "07:00-07:01", "0a:00-10:00"]
CHANNELS = ["1-9223372036854775807", "0", "16", "24", "1-31", "[1, 99]", "-5", "31-1", "1--2", "[]", "''",
            "1-23", "17-31", "[9223372036854775807]", "1,1,1"]
WRONG = ["[1, 2]", "{x: 1}", "~", "\"\"", "true", "[]", "{}", "- a", "&a 1", "*nope", "!!binary aGk="]


def long_strings(r):
    k = r.randint(80, 100)   # with "@SCRATCH@/" (18 bytes): 98..118 bytes around the 107-byte limit
    return [
        "x" * 200,
        "@SCRATCH@/" + "s" * k,
        "@SCRATCH@/" + "d" * 60 + "/" + "s" * (k - 61),
        "socket:@SCRATCH@/" + "p" * k,
        "\"" + "é" * r.choice([53, 54, 100]) + "\"",
        "../" * 70 + "x",
        "\"\"",
        "'with spaces and: colon'",
        "simulator",
        "dahdi:1:1",
        "/" + "y" * 300,
    ]


def value_sites(lines, pattern):
    """(line index, match) for every `pattern` match."""
    out = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        for m in re.finditer(pattern, line):
            out.append((i, m))
    return out


def replace_at(lines, i, m, group, new):
    line = lines[i]
    lines[i] = line[:m.start(group)] + new + line[m.end(group):]


NUMBER_RE = r"\b[a-z_]+: (-?(?:\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+))(?=\s*(?:[,}\]#]|$))"
STRING_RE = r"\b([a-z_]+): (\"[^\"]*\"|[A-Za-z/.][^,}\]#\s]*)(?=\s*(?:[,}\]#]|$))"
KEY_RE = r"^(\s*)([a-z_]+):"


def mutate(text, r):
    """One mutation of `text`; returns (new text, description)."""
    lines = text.split("\n")
    kind = r.choice(["number", "number", "number", "date", "time", "string", "string", "channels",
                     "delete", "delete", "spans", "wrong", "wrong", "syntax", "unknown", "twice"])
    if kind == "number":
        sites = value_sites(lines, NUMBER_RE)
        if sites:
            i, m = r.choice(sites)
            new = r.choice(NUMBERS if r.random() < 0.5 else PLAUSIBLE)
            replace_at(lines, i, m, 1, new)
            return "\n".join(lines), f"line {i + 1}: number {m.group(1)} -> {new}"
        kind = "string"
    if kind == "date":
        sites = value_sites(lines, r"\d{4}-\d{2}-\d{2}")
        if sites:
            i, m = r.choice(sites)
            new = r.choice(DATES)
            replace_at(lines, i, m, 0, new)
            return "\n".join(lines), f"line {i + 1}: date -> {new!r}"
        kind = "number"
        sites = value_sites(lines, NUMBER_RE)
        if sites:
            i, m = r.choice(sites)
            new = r.choice(NUMBERS)
            replace_at(lines, i, m, 1, new)
            return "\n".join(lines), f"line {i + 1}: number {m.group(1)} -> {new}"
    if kind == "time":
        sites = value_sites(lines, r"\d{2}:\d{2}-\d{2}:\d{2}")
        if sites:
            i, m = r.choice(sites)
            new = r.choice(TIMES)
            replace_at(lines, i, m, 0, new)
            return "\n".join(lines), f"line {i + 1}: time -> {new!r}"
        kind = "string"
    if kind == "channels":
        sites = value_sites(lines, r"\bchannels: (.+?)(?=\s*(?:#|$|, [a-z_]+:|\}$))")
        if sites:
            i, m = r.choice(sites)
            new = r.choice(CHANNELS)
            replace_at(lines, i, m, 1, new)
            return "\n".join(lines), f"line {i + 1}: channels -> {new}"
        kind = "string"
    if kind == "string":
        sites = value_sites(lines, STRING_RE)
        if sites:
            i, m = r.choice(sites)
            new = r.choice(long_strings(r))
            replace_at(lines, i, m, 2, new)
            return "\n".join(lines), f"line {i + 1}: {m.group(1)} -> {new[:40]}… ({len(new.encode())} bytes)"
        kind = "delete"
    if kind == "delete":
        sites = [(i, m) for i, m in value_sites(lines, KEY_RE)]
        flow = value_sites(lines, r"(?:(?<=\{)|, )[a-z_]+: [^,{}\[\]]+(?:, )?")
        if flow and r.random() < 0.4:
            i, m = r.choice(flow)
            replace_at(lines, i, m, 0, "")
            return "\n".join(lines), f"line {i + 1}: deleted flow key {m.group(0)!r}"
        if sites:
            i, m = r.choice(sites)
            indent = len(m.group(1))
            end = i + 1
            while end < len(lines) and (lines[end].strip() == "" or len(lines[end]) - len(lines[end].lstrip()) > indent):
                end += 1
            del lines[i:end]
            return "\n".join(lines), f"line {i + 1}: deleted key {m.group(2)} ({end - i} lines)"
    if kind == "spans":
        start = next((i for i, l in enumerate(lines) if l.startswith("spans:")), None)
        if start is not None:
            items, i = [], start + 1
            while i < len(lines) and (lines[i].startswith(" ") or lines[i].strip() == "" or lines[i].lstrip().startswith("#")):
                if lines[i].lstrip().startswith("- "):
                    items.append(i)
                i += 1
            if items:
                end_block = i
                k = r.randrange(len(items))
                a = items[k]
                b = items[k + 1] if k + 1 < len(items) else end_block
                item = lines[a:b]
                n = r.choice([1, 5, 61, 62, 63, 64, 65, 200, 5000])
                rename = r.random() < 0.85
                copies = []
                for c in range(n):
                    for line in item:
                        copies.append(re.sub(r"\bname: ([A-Za-z0-9_-]+)", lambda mm: f"name: {mm.group(1)}x{c}", line)
                                      if rename else line)
                lines[b:b] = copies
                return "\n".join(lines), f"span at line {a + 1} duplicated {n} times{'' if rename else ' (same name)'}"
    if kind == "wrong":
        sites = value_sites(lines, KEY_RE)
        if sites:
            i, m = r.choice(sites)
            new = r.choice(WRONG)
            indent = len(m.group(1))
            # Replace the whole value (and a block value's lines) with a value of another type.
            end = i + 1
            while end < len(lines) and (lines[end].strip() == "" or len(lines[end]) - len(lines[end].lstrip()) > indent):
                end += 1
            lines[i:end] = [f"{m.group(1)}{m.group(2)}: {new}"]
            return "\n".join(lines), f"line {i + 1}: {m.group(2)} -> {new} (wrong type)"
    if kind == "syntax":
        i = r.randrange(len(lines))
        how = r.choice(["tab", "bracket", "quote", "dedent", "colon", "nul", "latin1"])
        if how == "tab":
            lines[i] = "\t" + lines[i]
        elif how == "bracket":
            lines[i] = lines[i] + " ["
        elif how == "quote":
            lines[i] = lines[i].replace(": ", ": \"", 1)
        elif how == "dedent":
            lines[i] = lines[i].lstrip()[1:] if lines[i].startswith(" ") else " " + lines[i]
        elif how == "colon":
            lines[i] = lines[i] + ": :"
        elif how == "nul":
            lines[i] = lines[i] + "\x00"
        else:
            lines[i] = lines[i] + "\udce9"   # a lone byte 0xE9: not UTF-8
        return "\n".join(lines), f"line {i + 1}: syntax ({how})"
    if kind == "unknown":
        sites = value_sites(lines, KEY_RE)
        if sites:
            i, m = r.choice(sites)
            lines.insert(i, f"{m.group(1)}colour: red")
            return "\n".join(lines), f"line {i + 1}: unknown key inserted"
    # "twice" and fallbacks: the same key again in its mapping.
    sites = value_sites(lines, r"^(\s*)([a-z_]+): \S.*$")
    if sites:
        i, m = r.choice(sites)
        lines.insert(i + 1, lines[i])
        return "\n".join(lines), f"line {i + 1}: key {m.group(2)} twice"
    return text, "unchanged"


def refusal_ok(path, output):
    first = output.strip().split("\n")[0] if output.strip() else ""
    m = re.match(re.escape(path) + r":(\d+):(\d+): (.+?): \S", first)
    if not m:
        return False
    line, column, key = int(m.group(1)), int(m.group(2)), m.group(3)
    # Line 0 only for a file that cannot be read at all (e.g. not UTF-8).
    return (line >= 1 and column >= 1) or key == "(file)"


def config_value(text, key):
    """A simple scalar `key: value` from the text (block or flow), unquoted; None if absent or not simple."""
    m = None
    for m in re.finditer(r"\b" + key + r": *(\"[^\"]*\"|'[^']*'|[^\s,}#]+)", text):
        pass
    if m is None:
        return None
    v = m.group(1)
    if v[:1] in "\"'":
        v = v[1:-1]
    return v if re.fullmatch(r"[A-Za-z0-9_./@-]+", v) else None


def servable(text, scratch):
    """The daemon's files all go to the scratch directory, and every span is a simulated virtual one:
    (control socket path, None) or (None, why not)."""
    code = "\n".join(line.split("#")[0] for line in text.split("\n"))
    if re.search(r"driver: *dahdi|peer: *[\"']?(dahdi|socket)", code):
        return None, "hardware or socket peers"
    paths = {}
    for key in ["control_socket", "database"]:
        v = config_value(code, key)
        if v is None:
            return None, f"no plain {key} (the default is a system path)"
        paths[key] = v
    for key in ["pcap", "directory"]:
        if re.search(r"\b" + key + r":", code):
            v = config_value(code, key)
            if v is not None and v.startswith("/") and not v.startswith(scratch) and not v.startswith(PROMPTS):
                return None, f"{key} outside the scratch directory"
    if any(p.startswith("/") and not p.startswith(scratch) for p in paths.values()):
        return None, "files outside the scratch directory"
    sock = paths["control_socket"]
    return (sock if sock.startswith("/") else os.path.join(scratch, sock)), None


def run(cmd, cwd, env=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace")


def serve(binary, config, scratch, socket_path, demo):
    """Starts serve, waits for the socket or an exit, SIGTERMs it. (status, problem or None)."""
    env = dict(os.environ)
    args = [binary, "serve", "--config", config]
    if demo:
        args.append("--demo")
        env["DEMO_SECONDS"] = "1.5"
    log = open(os.path.join(scratch, "serve.log"), "wb")
    p = subprocess.Popen(args, cwd=scratch, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and p.poll() is None and not os.path.exists(socket_path):
        time.sleep(0.02)
    if p.poll() is None and not os.path.exists(socket_path):
        p.kill()
        p.wait()
        return "hang", f"no control socket {socket_path} and no exit within {TIMEOUT:.0f} s"
    started = p.poll() is None
    if started and not demo:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=TIMEOUT + (5 if demo else 0))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "hang", "did not stop within the timeout after SIGTERM" if not demo else "demo did not end"
    log.close()
    rc = p.returncode
    if rc < 0 or rc >= 128:
        return "signal", f"exit {rc} ({'signal ' + signal.Signals(-rc).name if rc < 0 else 'code >= 128'})"
    if not started and rc == 0:
        return "refused", None
    if not started:
        out = open(os.path.join(scratch, "serve.log"), encoding="utf-8", errors="replace").read()
        if "cannot start" not in out and "error" not in out.lower():
            return "refused", f"exit {rc} before the control socket without a message"
        return "refused", None
    return "served", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "20260609")))
    ap.add_argument("--count", type=int, default=int(os.environ.get("FUZZ_COUNT", "600")))
    ap.add_argument("--serve-max", type=int, default=int(os.environ.get("FUZZ_SERVE_MAX", "150")))
    ap.add_argument("--verbose", action="store_true", help="print every case and its first line of output")
    ap.add_argument("--demo-every", type=int, default=int(os.environ.get("FUZZ_DEMO_EVERY", "10")))
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    print(f"config fuzz: seed {a.seed}, {a.count} mutated configs (FUZZ_SEED={a.seed} to repeat)", flush=True)

    bases = {}
    for rel in ["config/dialtone.yaml", "config/examples/socket-peers.yaml", "config/examples/t1-ni2-dahdi.yaml"]:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            bases[rel] = f.read().replace("directory: ../prompts", "directory: " + PROMPTS)
    for name, text in EXTRA_BASES.items():
        bases["(fuzz) " + name] = text.replace("@PROMPTS@", PROMPTS)
    names = sorted(bases)
    # The simulated ones (which can be served) more often than the hardware and socket examples.
    weights = [1 if "examples/" in n else 3 for n in names]

    passed = failed = accepted = refused = 0
    served = {"served": 0, "refused": 0, "demo": 0}
    skipped = {}
    failures = []

    def check(text):
        """check-config one text; returns (accepted, scratch dir, config path) or records a failure."""
        nonlocal accepted, refused
        scratch = tempfile.mkdtemp(prefix="dtfz", dir="/tmp")
        text = text.replace("@SCRATCH@", scratch)
        config = os.path.join(scratch, "c.yaml")
        with open(config, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        rc, out = run([binary, "check-config", config], cwd=scratch)
        if rc is None:
            return None, scratch, config, text, f"check-config hung ({TIMEOUT:.0f} s)\n{out[-500:]}"
        if rc < 0 or rc >= 128:
            return None, scratch, config, text, f"check-config exit {rc} (signal)\n{out[-500:]}"
        if rc == 0:
            accepted += 1
            return True, scratch, config, text, None
        refused += 1
        if not refusal_ok(config, out):
            return None, scratch, config, text, f"check-config exit {rc} without FILE:LINE:COLUMN: KEY: first\n{out[-500:]}"
        if a.verbose:
            print("    refused: " + out.strip().split("\n")[0].replace(scratch, "@SCRATCH@")[:200])
        return False, scratch, config, text, None

    # The bases themselves must pass (otherwise the prompts are missing: `make prompts`); not counted.
    for name in names:
        ok, scratch, config, _, problem = check(bases[name])
        shutil.rmtree(scratch, ignore_errors=True)
        if ok is not True:
            print(f"FAIL: base {name} is not accepted: {problem or 'refused'}")
            print(f"config fuzz: 0 passed, 1 failed")
            return 1

    accepted = refused = 0
    r = random.Random(a.seed)
    serve_count = 0
    for case in range(a.count):
        name = r.choices(names, weights=weights)[0]
        text, steps = bases[name], []
        for _ in range(r.choices([1, 2, 3], weights=[7, 2, 1])[0]):
            text, what = mutate(text, r)
            steps.append(what)
        label = f"#{case} {name}: " + "; ".join(steps)
        if a.verbose:
            print(label)
        ok, scratch, config, text, problem = check(text)
        if problem is None and ok:
            sock, why = servable(text, scratch)
            if sock is None or serve_count >= a.serve_max:
                why = why or f"over --serve-max {a.serve_max}"
                skipped[why] = skipped.get(why, 0) + 1
            else:
                serve_count += 1
                demo = a.demo_every > 0 and serve_count % a.demo_every == 0
                status, problem = serve(binary, config, scratch, sock, demo)
                if status in ("served", "refused"):
                    served[status] += 1
                    served["demo"] += 1 if demo else 0
                if problem:
                    problem = f"serve{' --demo' if demo else ''}: {status}: {problem}\n" + \
                              open(os.path.join(scratch, "serve.log"), encoding="utf-8", errors="replace").read()[-800:]
        if problem:
            failed += 1
            failures.append(label)
            print(f"FAIL {label}\n    " + problem.replace("\n", "\n    | "), flush=True)
            keep = f"/tmp/config-fuzz-failure-{a.seed}-{case}.yaml"
            shutil.copy(config, keep)
            print(f"    (kept as {keep})")
        else:
            passed += 1
        shutil.rmtree(scratch, ignore_errors=True)
        if (case + 1) % 100 == 0:
            print(f"  {case + 1}/{a.count}: accepted {accepted}, refused {refused}, served {served['served']}", flush=True)

    print(f"config fuzz: seed {a.seed}: {a.count} configs: accepted {accepted}, refused {refused}; "
          f"serve: started and stopped {served['served']} (of which --demo {served['demo']}), "
          f"refused to start {served['refused']}, not served {sum(skipped.values())}"
          + "".join(f"\n  not served: {n} ({why})" for why, n in sorted(skipped.items())))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
