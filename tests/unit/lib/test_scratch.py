"""The scratch space under var/tmp: at start, what killed processes of this host left goes; what
live processes (other server workers) and other hosts own stays."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from modelyard.lib.processes import is_dead_process, new_tag, process_tag
from modelyard.lib.scratch import FOREIGN_AFTER_S, process_scratch, remove_leftovers, scratch_dir


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_processes_go_and_live_ones_stay(tmp_path: Path) -> None:
    host = socket.gethostname()
    live_worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        entries = {
            "dead": f"{host}:{dead_pid()}:0badc0de",
            "reused pid": f"{host}:{os.getpid()}:0ldt0ken",  # our pid, but never handed out here
            "live worker": f"{host}:{live_worker.pid}:a1b2c3d4",
            "other host": f"elsewhere.example:{dead_pid()}:a1b2c3d4",
            "other host, old": "elsewhere.example:1:deadbeef",
            "ours": process_tag(),
            "second runner of ours": new_tag(),
        }
        for name in entries.values():
            (tmp_path / name / "job").mkdir(parents=True)
            (tmp_path / name / "job" / "table.parquet").write_bytes(b"x" * 100)
        # Not named by any process: judged by age, like another host's.
        (tmp_path / "stray-old").write_bytes(b"x")
        (tmp_path / "stray-new").write_bytes(b"x")
        old = time.time() - FOREIGN_AFTER_S - 60
        for name in (entries["other host, old"], "stray-old"):
            os.utime(tmp_path / name, (old, old))

        assert remove_leftovers(tmp_path) == 4

        remaining = {path.name for path in tmp_path.iterdir()}
        gone = {"dead", "reused pid", "other host, old"}
        assert remaining == {name for key, name in entries.items() if key not in gone} | {"stray-new"}
    finally:
        live_worker.kill()
        live_worker.wait()


def test_tags_of_this_process_are_alive_and_dead_pids_are_not() -> None:
    assert not is_dead_process(process_tag())
    assert not is_dead_process(new_tag())
    assert is_dead_process(f"{socket.gethostname()}:{dead_pid()}:12345678")
    assert not is_dead_process(f"another-host:{dead_pid()}:12345678")  # cannot be judged from here
    assert not is_dead_process("not a tag")


async def test_scratch_dirs_live_in_this_process_directory_and_go_when_done(tmp_path: Path) -> None:
    async with scratch_dir(tmp_path, "job-") as work:
        assert work.parent == process_scratch(tmp_path)
        (work / "file").write_bytes(b"data")
    assert not work.exists()
    assert list(process_scratch(tmp_path).iterdir()) == []
