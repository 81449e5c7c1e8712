"""What every workload shares: figures, running them, child processes, the table.

A workload module (registered in `benchmarks.WORKLOADS`) defines `BENCHMARK = Benchmark(...)`
with two functions:

- `workload(ctx) -> Measurement`: does the real thing (usually a `kam` command in a child process)
  and returns its figures;
- `baseline(ctx, measured) -> Measurement`: does the same amount of work the plainest way there is
  (raw sqlite3, a bare loop...), in the same run, and returns figures under the same keys.

The harness pairs the figures by key and prints each with its ratio workload / baseline, so the
number to watch stays comparable across machines and noisy neighbours. With `--repeat N` each
figure is the median of the N runs and the ratio the median of the N per-run ratios (each run's
workload and baseline shared the machine's state). Timings are never asserted.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    """One measured number. `higher_is_better` says which way the ratio should move."""

    label: str
    value: float
    unit: str
    higher_is_better: bool = True
    note: str = ""  # how it was obtained, e.g. "105,448 rows in 3.1 s"


@dataclass
class Measurement:
    """What a workload or its baseline measured.

    `figures` are keyed so the baseline's pair up with the workload's; `facts` carries what the
    baseline needs to repeat the same work (row counts, file paths...) and is not printed.
    """

    figures: dict[str, Figure]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Per-run scratch space: `tmp` is a fresh directory, removed when the run ends."""

    tmp: Path
    repeat: int  # which repetition this is, from 1

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a child process: this repository importable, `extra` added.

        Variables that could point a child at a real database or broker are dropped, so a `kam`
        child runs on local settings with SQLite under the KAM_DATA_DIR given in `extra`.
        """
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "KAM_ENV", "DJANGO_SETTINGS_MODULE"}
            and not k.startswith("CELERY_")
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.update(extra)
        return env


@dataclass(frozen=True)
class Benchmark:
    name: str  # the name on the command line, same as the module's
    title: str  # what the workload does, one line
    baseline_title: str  # what the baseline does, one line
    workload: Callable[[Context], Measurement]
    baseline: Callable[[Context, Measurement], Measurement]


@dataclass(frozen=True)
class Row:
    figure: Figure
    baseline: Figure | None  # None when the baseline has no figure under the same key
    ratio: float | None  # figure / baseline


@dataclass(frozen=True)
class Result:
    benchmark: Benchmark
    rows: list[Row]  # in the order the workload gave its figures


# --- child processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # wall time from start to exit
    max_rss: int  # peak resident set size of this child, bytes
    cpu_seconds: float = 0.0  # CPU time of this child, user + system (wait4)

    def check(self) -> Process:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(self.argv)} exited {self.returncode}:\n{tail}")
        return self


def run_process(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = ROOT) -> Process:
    """Run `argv`, wait for it, and measure its wall time and its own peak RSS (wait4)."""
    argv = list(argv)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    max_rss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    cpu = usage.ru_utime + usage.ru_stime
    return Process(argv, proc.returncode, stdout, stderr, seconds, max_rss, cpu)


def kam_argv(*args: str) -> list[str]:
    """The `kam` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("kam")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "kam.cli", *args]


def copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), through the backup API."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(src)) as source, closing(sqlite3.connect(dst)) as target:
        source.backup(target)


# --- running and reporting --------------------------------------------------------------------


def load(names: Sequence[str] | None = None) -> list[Benchmark]:
    unknown = [n for n in names or [] if n not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown benchmark {unknown[0]!r}; known: {', '.join(WORKLOADS)}")
    benches = []
    for name in names or WORKLOADS:
        bench = importlib.import_module(f"benchmarks.{name}").BENCHMARK
        if bench.name != name:
            raise SystemExit(f"benchmarks/{name}.py declares BENCHMARK.name={bench.name!r}")
        benches.append(bench)
    return benches


def _median(figures: list[Figure]) -> Figure:
    first = figures[0]
    if len(figures) == 1:
        return first
    values = [f.value for f in figures]
    note = f"median of {len(values)} runs ({', '.join(_number(v) for v in values)})"
    note = f"{first.note}; {note}" if first.note else note
    return Figure(first.label, statistics.median(values), first.unit, first.higher_is_better, note)


def _ratio(fig: Figure, base: Figure) -> float | None:
    return None if base.value == 0 else fig.value / base.value


def run(
    bench: Benchmark, *, repeat: int = 1, keep: bool = False, log: IO[str] = sys.stderr
) -> Result:
    """Run the workload and then its baseline, `repeat` times, each time in a fresh directory."""
    runs: list[tuple[Measurement, Measurement]] = []
    for i in range(1, repeat + 1):
        tmp = Path(tempfile.mkdtemp(prefix=f"kam-bench-{bench.name}-"))
        try:
            ctx = Context(tmp=tmp, repeat=i)
            log.write(f"[{bench.name}] run {i}/{repeat}: workload\n")
            measured = bench.workload(ctx)
            log.write(f"[{bench.name}] run {i}/{repeat}: baseline\n")
            runs.append((measured, bench.baseline(ctx, measured)))
        finally:
            if keep:
                log.write(f"[{bench.name}] kept {tmp}\n")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for key in runs[0][0].figures:
        figures = [m.figures[key] for m, _ in runs]
        if all(key in b.figures for _, b in runs):
            bases = [b.figures[key] for _, b in runs]
            ratios = [_ratio(f, b) for f, b in zip(figures, bases, strict=True)]
            known = [r for r in ratios if r is not None]
            ratio = statistics.median(known) if len(known) == len(ratios) else None
            rows.append(Row(_median(figures), _median(bases), ratio))
        else:
            rows.append(Row(_median(figures), None, None))
    return Result(bench, rows)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(fig: Figure | None) -> str:
    return "-" if fig is None else f"{_number(fig.value)} {fig.unit}"


def render(results: Sequence[Result]) -> str:
    """The table: one line per figure, its baseline, the ratio and which way is better."""
    header = ("benchmark", "figure", "workload", "baseline", "ratio", "better")
    lines: list[tuple[str, ...]] = []
    notes: list[str] = []
    for result in results:
        for n, row in enumerate(result.rows):
            lines.append(
                (
                    result.benchmark.name if n == 0 else "",
                    row.figure.label,
                    _cell(row.figure),
                    _cell(row.baseline),
                    "-" if row.ratio is None else f"{row.ratio:.3f}",
                    "higher" if row.figure.higher_is_better else "lower",
                )
            )
        notes.append(f"{result.benchmark.name}")
        notes.append(f"  workload: {result.benchmark.title}")
        notes.append(f"  baseline: {result.benchmark.baseline_title}")
        for row in result.rows:
            if row.figure.note:
                notes.append(f"  {row.figure.label}, workload: {row.figure.note}")
            if row.baseline is not None and row.baseline.note:
                notes.append(f"  {row.figure.label}, baseline: {row.baseline.note}")
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    right = {2, 3, 4}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    about = (
        f"KAM benchmarks: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
        "ratio = workload / baseline, both measured in this run"
    )
    return "\n".join([about, "", fmt(header), rule, *map(fmt, lines), "", *notes])


def as_json(results: Sequence[Result]) -> str:
    return json.dumps(
        [
            {
                "benchmark": r.benchmark.name,
                "figures": [
                    {
                        "label": row.figure.label,
                        "unit": row.figure.unit,
                        "value": row.figure.value,
                        "baseline": None if row.baseline is None else row.baseline.value,
                        "ratio": row.ratio,
                        "higher_is_better": row.figure.higher_is_better,
                    }
                    for row in r.rows
                ],
            }
            for r in results
        ],
        indent=2,
    )
