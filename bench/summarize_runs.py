#!/usr/bin/env python3
"""Summarizes bench/measure_issue7.sh output: median and range per shape.

Usage: bench/summarize_runs.py OUT_DIR

Prints one Markdown table per shape with, for each figure, the median of the
runs and [min - max]. Reads <shape>.<run>.json (the loadgen report) and
<shape>.<run>.pre (server RSS before the run, load average).
"""

import glob
import json
import os
import re
import statistics
import sys


def load_runs(out_dir):
    shapes = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "*.json"))):
        m = re.match(r"(.+)\.(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            report = json.load(f)
        pre_path = path[: -len(".json")] + ".pre"
        pre = {}
        if os.path.exists(pre_path):
            with open(pre_path) as f:
                pre = json.load(f)
        shapes.setdefault(m.group(1), []).append((int(m.group(2)), report, pre))
    return shapes


def figures(report, pre):
    """The figures of one run, as (name, value, format) in display order."""
    e2e = report["end_to_end_latency"]
    ack = report["ack_latency"]
    out = [
        ("connections held", report["connections_held"], "{:.0f}"),
        ("delivered/s", report["delivered_per_second"], "{:,.0f}"),
        ("delivery ratio", report["delivery_ratio"], "{:.4f}"),
        ("lost", report["lost"], "{:.0f}"),
        ("duplicated", report["duplicated"], "{:.0f}"),
        ("e2e p50 ms", e2e["p50_us"] / 1000, "{:.2f}"),
        ("e2e p99 ms", e2e["p99_us"] / 1000, "{:.2f}"),
        ("e2e p99.9 ms", e2e["p999_us"] / 1000, "{:.2f}"),
        ("e2e max ms", e2e["max_us"] / 1000, "{:.1f}"),
    ]
    if ack["count"] > 0:
        out += [
            ("ack p50 ms", ack["p50_us"] / 1000, "{:.2f}"),
            ("ack p99 ms", ack["p99_us"] / 1000, "{:.2f}"),
        ]
    storm = report.get("storm")
    if storm:
        out += [
            ("all resumed after s", storm["all_resumed_after_seconds"], "{:.2f}"),
            ("resumed", storm["resumed"], "{:.0f}"),
            ("not recovered", storm["not_recovered"], "{:.0f}"),
        ]
    churn = report.get("churn")
    if churn:
        out = [out[0]] + [
            ("joins/s answered", churn["joins_per_second"], "{:.1f}"),
            ("join p50 ms", churn["join_latency"]["p50_us"] / 1000, "{:.2f}"),
            ("join p99 ms", churn["join_latency"]["p99_us"] / 1000, "{:.2f}"),
            ("join max ms", churn["join_latency"]["max_us"] / 1000, "{:.1f}"),
            ("leave p99 ms", churn["leave_latency"]["p99_us"] / 1000, "{:.2f}"),
            ("join errors", churn["join_errors"], "{:.0f}"),
            ("ops not sent", churn["skipped"], "{:.0f}"),
            ("unanswered", churn["unanswered"], "{:.0f}"),
            ("presence events/s", report["presence_events"] / report["measured_seconds"],
             "{:,.0f}"),
        ]
    rss = report["gateway_rss_bytes"]
    out += [
        ("server cpu %", report["gateway_cpu_percent"], "{:.0f}"),
        ("server RSS MiB", rss / 1048576, "{:.1f}"),
    ]
    if pre.get("rss_before_kib") and rss > 0:
        delta = rss - pre["rss_before_kib"] * 1024
        out.append(("RSS delta MiB", delta / 1048576, "{:.1f}"))
        if report["connections_held"] > 0:
            out.append(("RSS delta KiB/conn", delta / 1024 / report["connections_held"],
                        "{:.2f}"))
    out += [("loadgen cpu %", report["loadgen_cpu_percent"], "{:.0f}")]
    errors = sum(report["errors"].values())
    out.append(("errors/closes", errors, "{:.0f}"))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for shape, runs in sorted(load_runs(sys.argv[1]).items()):
        runs.sort()
        table = [figures(r, p) for _, r, p in runs]
        loads = ", ".join(p.get("loadavg", "?").split(" ")[0] for _, _, p in runs)
        print(f"### {shape} ({len(runs)} runs; 1-min load average at start: {loads})\n")
        print("| figure | median | range |")
        print("|---|---|---|")
        for k, (name, _, fmt) in enumerate(table[0]):
            values = [t[k][1] for t in table if k < len(t) and t[k][0] == name]
            med = statistics.median(values)
            rng = f"{fmt.format(min(values))} – {fmt.format(max(values))}"
            print(f"| {name} | {fmt.format(med)} | {rng} |")
        errors = {}
        for _, r, _ in runs:
            for what, n in r["errors"].items():
                errors[what] = errors.get(what, 0) + n
        if errors:
            print("\nerrors over all runs: " +
                  "; ".join(f"{w}: {n}" for w, n in sorted(errors.items())))
        print()


if __name__ == "__main__":
    main()
