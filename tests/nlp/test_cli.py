"""The `python -m nlp_models` contract used by other tools."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "nlp_models", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_analyze_good_and_bad_lines_keep_order():
    lines = [
        json.dumps({"id": "a", "text": "I always mess everything up"}),
        "this is not json",
        json.dumps({"id": 7, "text": "the weather is nice"}),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "c", "text": "im such a loser 😭"}),
        json.dumps(["a list"]),
    ]
    proc = run(["analyze"], "\n".join(lines) + "\n")
    assert proc.returncode == 0
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c"]
    for o in out:
        assert set(o) == {
            "id", "attributions", "scores", "event", "distortions", "risk", "evidence", "helpful"
        }  # fmt: skip
        assert set(o["attributions"]) == {"permanent", "pervasive", "personal", "uncontrollable"}
        assert set(o["scores"]) == set(o["attributions"])
        assert o["risk"] in ("none", "concern", "danger", "crisis")
        for ev in o["evidence"]:
            assert set(ev) == {"label", "start", "end", "text"}
    assert out[0]["attributions"]["permanent"] is True
    assert out[1]["distortions"] == []
    assert "labeling" in out[2]["distortions"]
    text = "im such a loser 😭"
    for ev in out[2]["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]

    errors = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert [e["id"] for e in errors] == [2, "no-text", 6]
    assert all(e["error"] for e in errors)


def test_analyze_empty_input():
    proc = run(["analyze"], "")
    assert proc.returncode == 0
    assert proc.stdout == ""


def test_analyze_many_lines_in_batches():
    lines = [
        json.dumps({"id": i, "text": f"message number {i}, I always fail"}) for i in range(600)
    ]
    proc = run(["analyze"], "\n".join(lines))
    assert proc.returncode == 0
    ids = [json.loads(line)["id"] for line in proc.stdout.splitlines()]
    assert ids == list(range(600))


def test_evaluate_skips_without_data(tmp_path):
    proc = run(["evaluate", "--data", str(tmp_path / "absent")])
    assert proc.returncode == 0
    assert "skipped" in proc.stdout


def test_evaluate_on_a_tiny_data_folder(tmp_path):
    (tmp_path / "patternreframe").mkdir()
    rows = [
        {"thought": "I failed once, I will never pass", "pattern": "Overgeneralization"},
        {"thought": "My coworkers must think I'm lazy", "pattern": "Jumping to conclusions: mind reading"},
    ]  # fmt: skip
    (tmp_path / "patternreframe" / "valid.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    proc = run(["evaluate", "--data", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    assert "primary-pattern recall" in proc.stdout
    assert "Thinking traps" in proc.stdout  # reported as not found, not an error
