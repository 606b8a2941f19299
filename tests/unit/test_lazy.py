"""LazyModule: imported on the first attribute read, never seen by other code, safe when two
threads read first at once (the standard library's LazyLoader is not, on Python 3.11)."""

import sys
import threading

from grants.domain.lazy import LazyModule


def test_the_module_is_imported_on_first_use_only_and_never_registered_as_a_stand_in(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe_a.py").write_text("LOADS = []\nLOADS.append(1)\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    stand_in = LazyModule("lazy_probe_a")
    assert "lazy_probe_a" not in sys.modules
    assert stand_in.VALUE == 42
    assert sys.modules["lazy_probe_a"] is not stand_in  # the real module, for everyone else
    assert stand_in.LOADS is sys.modules["lazy_probe_a"].LOADS == [1]  # imported once
    assert "VALUE" in vars(stand_in)  # copied: later reads are plain attribute reads
    monkeypatch.delitem(sys.modules, "lazy_probe_a")


def test_two_threads_reading_first_at_once_both_see_the_whole_module(tmp_path, monkeypatch):
    # The module takes a while to run: a reader arriving meanwhile must wait, not see it half done.
    (tmp_path / "lazy_probe_b.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    stand_in, seen, start = LazyModule("lazy_probe_b"), [], threading.Barrier(4)

    def read() -> None:
        start.wait()
        try:
            seen.append(stand_in.VALUE)
        except Exception as error:  # noqa: BLE001 - recorded, asserted below
            seen.append(error)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [7, 7, 7, 7]
    monkeypatch.delitem(sys.modules, "lazy_probe_b")
