"""Mermaid diagrams of every flow, generated from the flows' own state machines.

python -m dialogs.diagrams          # rewrites docs/flows.md
python -m dialogs.diagrams --check  # exits 1 if docs/flows.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from transitions.extensions.diagrams import GraphMachine

from dialogs.engine import FLOWS

DOC = Path(__file__).resolve().parent.parent / "docs" / "flows.md"


def mermaid(flow) -> str:
    machine = flow.build_machine(GraphMachine, graph_engine="mermaid", show_conditions=True,
                                 title=flow.name)  # fmt: skip
    model = type("Model", (), {})()
    machine.add_model(model, initial=flow.initial)
    graph = model.get_graph().draw(None)
    # Keep the diagram about structure: drop the styling lines that mark an "active" state.
    # and the title front matter, which is not valid YAML; the heading names the flow.
    body = graph.split("stateDiagram-v2", 1)[1]
    lines = ["stateDiagram-v2"] + [
        line for line in body.splitlines()
        if not line.strip().startswith(("classDef", "Class ")) and line.strip()
    ]  # fmt: skip
    return "\n".join(lines)


def render() -> str:
    parts = [
        "# Conversation flows",
        "",
        "Generated from the state machines in `dialogs/flows/` by `python -m dialogs.diagrams`;",
        "a test fails when this file is out of date. Every state also accepts the global",
        "commands (/help, /cancel, /new ...) and is checked for risk before anything else.",
        "",
    ]
    for name, flow in FLOWS.items():
        parts += [f"## {name}", "", "```mermaid", mermaid(flow), "```", ""]
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text("utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date: run python -m dialogs.diagrams", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
