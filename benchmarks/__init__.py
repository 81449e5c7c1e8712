"""KAM's benchmarks: workloads at scale, each against a baseline measured in the same run.

`make bench` (or `python -m benchmarks [NAME ...]`); see benchmarks/README.md.
"""

# The registry: one module of this package per workload, each defining `BENCHMARK`, run in this
# order. A new workload is a new module plus its name here.
WORKLOADS: list[str] = [
    "demo_generation",
    "contact_import",
    "search",
    "board",
    "timeline",
    "pricing",
    "orders",
    "campaign",
]
