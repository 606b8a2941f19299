"""Progress on long work: shown on a terminal's stderr, never when piped or with --quiet."""

import fcntl
import os
import struct
import subprocess
import termios

from tests.e2e.test_exit_codes import GRANTS

BATCH = "command,ref,kommune,scheme,title,fte,year\n" + "".join(
    f"apply,P/{n},3401,765.62,t,1,2021\n" for n in range(600))


def run_with_stderr_on_a_terminal(*args, env):
    """(exit code, stdout, what the terminal showed on stderr)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    process = subprocess.Popen([GRANTS, *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=follower, text=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    out = process.stdout.read()
    os.close(leader)
    return process.wait(timeout=30), out, shown.decode(errors="replace")


def test_long_work_shows_progress_on_a_terminal_and_nothing_when_piped_or_quiet(tmp_path, sqlite_url):
    path = tmp_path / "batch.csv"
    path.write_text(BATCH)
    env = {"GRANTS_DB": sqlite_url, "GRANTS_ACTOR": "kari"}
    code, out, shown = run_with_stderr_on_a_terminal("import", str(path), env=env)
    assert (code, out) == (0, "imported 600 commands, 600 events\n")
    assert "reading lines" in shown and "checking decisions" in shown and "writing events" in shown
    assert "0/600 [" in shown  # the bar counts the lines

    code, out, shown = run_with_stderr_on_a_terminal("projections", "rebuild", env=env)
    assert (code, out) == (0, "rebuilt: 600 events folded up to 600\n") and "folding events into positions" in shown

    code, out, shown = run_with_stderr_on_a_terminal("verify", "--quiet", env=env)
    assert (code, shown) == (0, "") and out.startswith("verified 600 events")

    piped = subprocess.run([GRANTS, "export", "--all"], env={**os.environ, **env}, capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == "" and len(piped.stdout.splitlines()) == 601
