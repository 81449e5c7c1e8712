"""The default pipeline: the seed's work cycle, stage by stage, with default probabilities.

Plain data (no models), so the data migration that installs it and the service that restores
it on an emptied database read the same list.
"""

from __future__ import annotations

from typing import Any

DEFAULT_PIPELINE_NAME = "Sales cycle"
NEEDS_RECORDED = "needs_recorded"

# (name, probability %, outcome, entry requirements)
DEFAULT_STAGES: tuple[tuple[str, int, str, list[str]], ...] = (
    ("Lead", 5, "open", []),
    ("Appointment set", 10, "open", []),
    ("Meeting prepared", 15, "open", []),
    ("Contact established", 20, "open", []),
    ("Needs identified", 30, "open", [NEEDS_RECORDED]),
    ("Presented", 45, "open", []),
    ("Objections handled", 60, "open", []),
    ("Closing", 80, "open", []),
    ("Won", 100, "won", []),
    ("Lost", 0, "lost", []),
)


def stage_rows() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "position": position,
            "probability": probability,
            "outcome": outcome,
            "requirements": list(requirements),
        }
        for position, (name, probability, outcome, requirements) in enumerate(
            DEFAULT_STAGES, start=1
        )
    ]
