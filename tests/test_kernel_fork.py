"""Kernels forked from a warm server (reporting.kernel_fork): each is a kernel of its own, with the environment and
folder it was asked for, that stops when asked or when the server does; where a kernel cannot be forked it is
started the usual way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ks2workbook.reporting import kernel_fork, runner

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not kernel_fork.forkable(), reason="kernels are forked on Linux only"),
]


def _ask(session: runner.KernelSession, code: str) -> str:
    """What the kernel prints for ``code``."""
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["header"]["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = session.loop.run_until_complete(session.kc.execute_interactive(code, timeout=60, output_hook=hook))
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out).strip()


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _gone(pids: list[int], seconds: float = 15) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


@pytest.fixture
def session(monkeypatch):
    monkeypatch.setenv("KS2WB_TEST_FORK", f"mark-{os.getpid()}-{time.time_ns()}")  # a server of this test's own
    with runner.KernelSession(writes_excel=False) as s:
        s.start()
        yield s
    kernel_fork.stop()


def test_a_kernel_is_forked_from_the_server_with_the_environment_and_folder_asked_for(session):
    pid = session.km.provisioner.pid
    server = kernel_fork.server().proc.pid
    assert _ppid(pid) == server  # forked, not started afresh
    assert os.getpgid(pid) == pid  # in a session of its own, as jupyter_client starts kernels
    assert int(_ask(session, "import os; print(os.getpid())")) == pid
    assert _ask(session, "import os; print(os.environ['KS2WB_TEST_FORK'])") == os.environ["KS2WB_TEST_FORK"]
    assert _ask(session, "import os; print(os.getcwd())") == str(runner.notebooks_dir())
    # the warm imports were made by the server, before the fork, and the kernel is ipykernel's own
    assert _ask(session, "import sys; print('ks2workbook.views.style' in sys.modules)") == "True"
    assert _ask(session, "print(type(get_ipython()).__name__)") == "ZMQInteractiveShell"
    assert _ask(session, "import sys; print(sys.path[0] != '')") == "True"


def test_a_forked_kernel_finds_the_tables_read_by_the_server(tables, session):
    """The server reads the pack's tables before it forks (without a thread: the test below), and each kernel's
    load of them is then answered from what it inherited: no kernel reads a table file itself."""
    code = "from ks2workbook.data import tables; print(tables._load_cached.cache_info().hits)"
    assert int(_ask(session, code)) >= len(runner.PACK_TABLES)


def test_a_forked_kernel_is_interrupted_and_shut_down_like_any_other(session):
    pid = session.km.provisioner.pid
    # stop_on_error=False: else ipykernel aborts, by design, a request that reaches it just after the interrupt's
    # error (the next question then came back "aborted" now and then, the kernel alive and well)
    request = session.kc.execute("import time; time.sleep(60)", stop_on_error=False)
    time.sleep(0.5)
    session.loop.run_until_complete(session.km.interrupt_kernel())
    reply = session.loop.run_until_complete(session.kc.get_shell_msg(timeout=20))
    assert reply["parent_header"]["msg_id"] == request
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert _ask(session, "print(6 * 7)") == "42"  # interrupted, not killed
    session.close()
    assert _gone([pid])  # and reaped by the server: no zombie left


def test_a_new_environment_starts_a_new_server(session, monkeypatch):
    first = kernel_fork.server().proc.pid
    monkeypatch.setenv("KS2WB_TEST_FORK", "another")
    session.close()
    session.start()
    assert kernel_fork.server().proc.pid != first and not _alive(first)
    assert _ask(session, "import os; print(os.environ['KS2WB_TEST_FORK'])") == "another"


def test_a_server_that_died_is_replaced(session):
    first = kernel_fork.server().proc.pid
    kernel = session.km.provisioner.pid
    os.kill(first, signal.SIGKILL)
    assert _gone([first, kernel])  # its kernel dies with it
    session.close()
    session.start()
    assert _ppid(session.km.provisioner.pid) == kernel_fork.server().proc.pid != first
    assert _ask(session, "print('up')") == "up"


def test_stopping_leaves_no_process(session):
    pids = [kernel_fork.server().proc.pid, session.km.provisioner.pid]
    kernel_fork.stop()
    assert _gone(pids)


def test_a_command_that_is_not_this_pythons_ipykernel_is_started_the_usual_way():
    here = sys.executable
    assert kernel_fork._kernel_command([here, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"]) == (
        ["-Xfrozen_modules=off"],
        ["-f", "c.json"],
    )
    assert kernel_fork._kernel_command(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "c.json"]) is None
    assert kernel_fork._kernel_command([here, "-c", "import evil", "-m", "ipykernel_launcher"]) is None
    assert kernel_fork._kernel_command([here, "-m", "other_kernel", "-f", "c.json"]) is None
    process = kernel_fork.KernelProcess([sys.executable, "-c", "import time; time.sleep(30)"], {})
    assert isinstance(process._known(), subprocess.Popen)  # not forked
    process.kill()
    assert process.wait(timeout=10) is not None


def test_without_forking_a_kernel_is_started_the_usual_way(monkeypatch):
    monkeypatch.setenv("KS2WB_NO_FORK", "1")
    with runner.KernelSession(writes_excel=False) as s:
        s.start()
        assert _ppid(s.km.provisioner.process.pid) == os.getpid()
        assert _ask(s, "print(1 + 1)") == "2"


def test_the_server_forks_only_while_it_has_no_other_thread(session):
    """A fork copies the calling thread only: a lock another thread held stays held in the kernel, which hangs
    (one start in fifteen did, when the server read the tables and so started Arrow's thread pools)."""
    server = kernel_fork.server().proc.pid
    names = [Path(f"/proc/{server}/task/{t}/comm").read_text().strip() for t in os.listdir(f"/proc/{server}/task")]
    assert len(names) - names.count("jemalloc_bg_thd") == 1, names
    assert kernel_fork.other_threads() != []  # this test process runs threads of its own: it would not fork
    assert "jemalloc_bg_thd" in kernel_fork.FORK_SAFE_THREADS


def test_a_server_closed_under_a_request_is_a_server_that_died():
    """At the process's exit the server is closed (its pipes first) while a kernel may still be being asked for on
    another thread: that request is answered as if the server had died (None: the kernel is then started the
    usual way, or not at all), not with an AttributeError printed at the exit."""
    forks = kernel_fork.ForkServer("")
    env = dict(os.environ)
    forks.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    forks.key = (kernel_fork._env_key(env), ())  # the server asked for, still running ...
    forks._requests = forks._replies = None  # ... its pipes closed by close() on the exit's thread
    cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "connection.json"]
    assert forks.fork(cmd, env, os.getcwd()) is None
    assert forks.proc is None  # closed: the next request starts another


def test_closing_a_session_whose_kernel_never_started_says_nothing():
    """A kernel that could not be started has nothing to stop: closing its session (at the exit, by atexit) ends
    quietly and still clears up, instead of raising the start's error a second time."""

    class NeverStarted:
        async def shutdown_kernel(self, now: bool = False) -> None:
            raise OSError("the kernel could not be started")

    session = runner.KernelSession()
    session.km = NeverStarted()
    session.close()
    assert session.km is None and session.kc is None
