"""The scripted console run shown in the README works as shown."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_script() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```sh\n(printf '%s\\n' .*?\| make run)\n```", text, re.S).group(1)
    command = block.replace("\\\n", " ").rsplit("|", 1)[0]
    return shlex.split(command)[2:]  # after: printf '%s\n'


def test_the_readme_console_script_saves_a_thought_record(tmp_path):
    lines = readme_script()
    assert lines[0] == "/start" and "/new" in lines
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATA_KEY")}
    env.update(BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "bot"], input="\n".join(lines) + "\n",
                            text=True, capture_output=True, cwd=tmp_path, env=env,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Your thought record is saved" in result.stdout
    assert "Your last thought records" in result.stdout  # the /journal at the end
