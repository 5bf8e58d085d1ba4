"""Report kernels forked from one warm process, instead of each booting Python and importing the stack afresh.

Why: a kernel spends some two seconds of CPU before its first notebook: Python and ipykernel start, then pandas,
matplotlib, scipy and the library are imported. A run on two kernels (one council's pack on two cores, or many
councils) booted two kernels at once, on the cores the command checks its inputs on, so the imports were paid
twice while nothing else could run. Here one *fork server* makes those imports once (the runner's warm-up)
and forks each kernel from itself: a kernel is ready after ipykernel's own start, and the kernels share the
imported modules' memory.

How it fits Jupyter: :class:`ForkProvisioner` is a jupyter_client kernel provisioner whose ``launch_kernel`` asks
the server for a kernel with the same command, environment and folder the manager would have used; the rest of
the kernel's life (signals to its process group, kill, wait) is the local provisioner's, on the forked process.
Where a kernel cannot be forked (not Linux, a kernelspec that is not this Python's ipykernel, a server that did not
start), it is started the usual way, so a run never fails for want of the shortcut.

Safety:

- The server forks before any thread or socket exists in it; the kernel opens its own sockets after the fork, as
  a fresh one would, in a session of its own (so ``killpg`` reaches it and its children, and a terminal's Ctrl-C
  does not).
- The server stops when the command does (its request pipe closes), and each kernel dies with the server (the
  parent-death signal), so killing a run leaves nothing behind.
- The server is started again when the environment changes (a data or council folder, a matplotlib setting): a
  kernel never runs with modules imported under another.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

#: The server's own settings (its kernels get the environment they are asked for). OpenBLAS, which numpy and
#: scipy bring, starts a pool of worker threads when imported; with one thread it starts none, so the server has no
#: thread but jemalloc's when it forks (:func:`other_threads`). BLAS is too small a part of a pack for its threads
#: to count: 4 councils on one kernel took the same time either way (ratio 1.01, 3 runs, 2 December 2026).
SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1"}

#: How long a kernel request may wait for the server's imports before the kernel is started the usual way.
FORK_TIMEOUT = 60.0

PR_SET_PDEATHSIG = 1


def forkable() -> bool:
    """Whether kernels are forked here: Linux (the parent-death signal), a Python with pidfds, and not turned off
    (``KS2WB_NO_FORK=1``: each kernel started the usual way, to compare or to rule the shortcut out)."""
    linux = sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")
    return linux and not os.environ.get("KS2WB_NO_FORK")


def _die_with_parent(sig: int = signal.SIGKILL) -> None:
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)


# -- the command's side ------------------------------------------------------------------------------------------


class ForkServer:
    """The warm process kernels are forked from (one per command; started on the first kernel asked for)."""

    def __init__(self, warm_code: str) -> None:
        self.warm_code = warm_code
        self.proc: subprocess.Popen | None = None
        self.key: tuple = ()  # the environment and interpreter options it was started with
        self._lock = threading.Lock()  # one request and its reply at a time
        self._requests = self._replies = None
        self.kernels: list[ForkedChild] = []  # the kernels the running server forked

    def _start(self, options: list[str], key: tuple) -> None:
        from ..core.paths import notebooks_dir

        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, *options, "-m", __name__, str(request_r), str(reply_w)],
                env={**os.environ, **SERVER_ENV},
                stdin=subprocess.DEVNULL,
                pass_fds=(request_r, reply_w),
                cwd=str(notebooks_dir()),
                start_new_session=True,  # a terminal's Ctrl-C stops the command, which stops the server
            )
        finally:
            os.close(request_r)
            os.close(reply_w)
        self._requests = os.fdopen(request_w, "w", buffering=1, encoding="utf-8")
        self._replies = os.fdopen(reply_r, "r", encoding="utf-8")
        self._requests.write(json.dumps({"warm": self.warm_code}) + "\n")
        self.key = key
        self.kernels = []

    def fork(self, cmd: list[str], env: dict[str, str], cwd: str) -> ForkedChild | None:
        """A kernel forked with this command, environment and folder, or None if it cannot be (it is then started
        the usual way). Waits for the server's imports the first time."""
        import select

        split = _kernel_command(cmd)
        if split is None:
            return None
        options, args = split
        key = (_env_key(env), tuple(options))
        with self._lock:
            try:
                if self.proc is not None and (self.proc.poll() is not None or key != self.key):
                    self.close()
                if self.proc is None:
                    self._start(options, key)
                self._requests.write(json.dumps({"args": args, "env": env, "cwd": cwd}) + "\n")
                answered = select.select([self._replies], [], [], FORK_TIMEOUT)[0]
                line = self._replies.readline() if answered else ""
            except (OSError, ValueError, AttributeError):
                # AttributeError: the server's pipes were closed under this request (close(), at the process's exit,
                # while a kernel was still being asked for): as if the server had died.
                line = ""
            if not line:  # the server died or hangs: the next request starts another
                self.close()
                return None
            reply = json.loads(line)
            if "pid" not in reply:
                return None
            self.kernels.append(ForkedChild(int(reply["pid"])))
            return self.kernels[-1]

    def idle(self) -> bool:
        """Whether none of the kernels it forked still runs."""
        return all(kernel.poll() is not None for kernel in self.kernels)

    def close(self) -> None:
        """Stop the server: it ends the kernels it forked, and is killed if it has not stopped within seconds."""
        for stream in (self._requests, self._replies):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._requests = self._replies = None
        if self.proc is not None:
            try:
                if not self.kernels:  # still importing, perhaps: nothing of it is needed
                    self.proc.kill()
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def _env_key(env: dict[str, str]) -> frozenset:
    """The environment a server's imports were made in: all of it (a data folder, a matplotlib setting, a path),
    but for the session variables jupyter_client sets for each kernel."""
    return frozenset((k, v) for k, v in env.items() if not k.startswith("JPY_"))


def _kernel_command(cmd: list[str]) -> tuple[list[str], list[str]] | None:
    """The interpreter options and the kernel's arguments of a kernelspec command that runs this very Python's
    ipykernel (what a child of the server can become), else None."""
    try:
        at = next(i for i in range(1, len(cmd) - 1) if cmd[i : i + 2] == ["-m", "ipykernel_launcher"])
    except StopIteration:
        return None
    options = cmd[1:at]
    same = os.path.abspath(os.path.expanduser(cmd[0])) == os.path.abspath(sys.executable)
    if not same or not all(o.startswith("-X") for o in options):
        return None
    return options, cmd[at + 2 :]


_SERVER: ForkServer | None = None


def stop(only_if_idle: bool = False) -> None:
    """Stop this process's fork server, if it runs (a run refused or stopped leaves no process behind); with
    ``only_if_idle``, only once none of its kernels runs (another session of this process may still use one)."""
    if _SERVER is not None:
        with _SERVER._lock:
            if not only_if_idle or _SERVER.idle():
                _SERVER.close()


def server(warm_code: str = "") -> ForkServer:
    """This process's fork server, created on first use with the imports it makes before it forks (the report
    kernels' warm-up, passed by the runner); closed when the process exits."""
    global _SERVER
    if _SERVER is None:
        import atexit

        _SERVER = ForkServer(warm_code)
        atexit.register(_SERVER.close)
    return _SERVER


class ForkedChild:
    """What the local provisioner needs of a ``Popen``, for a kernel that is the fork server's child: whether it
    has ended, and signals, through a pidfd (so a reused pid is never mistaken for it). Its exit status is the
    server's, which reaps it; here an ended kernel reports 0, killed or not."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except OSError:  # already gone
            self._fd, self.returncode = None, 0

    def poll(self) -> int | None:
        import select

        if self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import select

        if self._fd is not None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            self._ended()
        return self.returncode or 0

    def _ended(self) -> None:
        self.returncode = 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class KernelProcess:
    """A kernel being started: forked by the server, or (where it cannot be) started as jupyter_client starts
    one. The request is made on a thread of its own, so that asking for a kernel never waits for the server's
    imports: the command checks its inputs meanwhile, and the kernel's client queues its first request until
    the kernel listens. Until it is known, the kernel counts as alive (starting)."""

    # The streams of a kernel started the usual way (closed by the provisioner when it ends).
    stdin = property(lambda self: getattr(self._proc, "stdin", None) if self._done.is_set() else None)
    stdout = property(lambda self: getattr(self._proc, "stdout", None) if self._done.is_set() else None)
    stderr = property(lambda self: getattr(self._proc, "stderr", None) if self._done.is_set() else None)

    def __init__(self, cmd: list[str], kwargs: dict[str, Any], warm_code: str = "") -> None:
        self.warm_code = warm_code
        self._done = threading.Event()
        self._proc: ForkedChild | subprocess.Popen | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._start, args=(cmd, kwargs), daemon=True, name="ks2workbook-kernel-fork").start()

    def _start(self, cmd: list[str], kwargs: dict[str, Any]) -> None:
        from jupyter_client.launcher import launch_kernel

        try:
            forked = None
            if set(kwargs) <= {"env", "cwd"}:  # nothing a fork cannot honour (streams, flags)
                env = dict(kwargs.get("env") or os.environ)
                forked = server(self.warm_code).fork(cmd, env, str(kwargs.get("cwd") or os.getcwd()))
            self._proc = forked if forked is not None else launch_kernel(cmd, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - raised where the process is asked for
            self._error = exc
        finally:
            self._done.set()

    def _known(self) -> ForkedChild | subprocess.Popen:
        self._done.wait()
        if self._proc is None:
            raise self._error or OSError("the kernel could not be started")
        return self._proc

    @property
    def pid(self) -> int:
        return self._known().pid

    def poll(self) -> int | None:
        if not self._done.is_set():
            return None
        return 1 if self._proc is None else self._proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        return self._known().wait(timeout)

    def send_signal(self, signum: int) -> None:
        self._known().send_signal(signum)

    def kill(self) -> None:
        self._known().kill()

    def terminate(self) -> None:
        self._known().terminate()


class ForkProvisioner(LocalProvisioner):
    """The local provisioner, its kernel forked from :func:`server` when it can be (:class:`KernelProcess`)."""

    # The kernel leads a session of its own either way, so its process group is its pid; both are known only when
    # the kernel is (the local provisioner's signals and kill go to the group).
    pid = property(lambda self: self.process.pid if self.process else None, lambda self, _: None)
    pgid = property(lambda self: self.process.pid if self.process else None, lambda self, _: None)

    #: The imports the server makes before it forks (set by the runner: the report kernels' warm-up).
    warm_code = ""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        scrubbed = LocalProvisioner._scrub_kwargs(kwargs)
        self.process = KernelProcess(cmd, scrubbed, self.warm_code)
        self.cwd = scrubbed.get("cwd") or os.getcwd()
        return self.connection_info


# -- the server's side -------------------------------------------------------------------------------------------

#: Threads a process may have when it forks: jemalloc's background thread (bundled with pyarrow) stops and takes
#: its locks at a fork, by design.
FORK_SAFE_THREADS = frozenset({"jemalloc_bg_thd"})


def other_threads() -> list[str]:
    """The names of this process's threads but the calling one and :data:`FORK_SAFE_THREADS`: a fork copies one
    thread only, and a lock another held (an allocator's, a pool's) stays held in the child, which then hangs.
    Reading parquet starts such threads (Arrow's pools); so might a future import. The server forks only while this
    is empty."""
    me = threading.get_native_id()
    names = []
    for task in os.listdir("/proc/self/task"):
        if int(task) == me:
            continue
        try:
            name = Path(f"/proc/self/task/{task}/comm").read_text(encoding="utf-8").strip()
        except OSError:  # ended meanwhile
            continue
        if name not in FORK_SAFE_THREADS:
            names.append(name)
    return names


def _serve(request_fd: int, reply_fd: int) -> None:
    """Import what every kernel imports, then fork a kernel for each request until the command goes away: its
    end of the request pipe closes when it exits, however it exits. (Not the parent-death signal: that follows the
    thread that started this process, and kernels are asked for on threads that end.)"""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does: the notebooks folder is no place to import from

    kernels: set[int] = set()

    def reap(*_: object) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            kernels.discard(pid)

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    replies = os.fdopen(reply_fd, "w", buffering=1, encoding="utf-8")
    first = json.loads(requests.readline() or "{}")
    exec(compile(first.get("warm", ""), "<kernel warm-up>", "exec"), {})  # noqa: S102 - our own constant
    import gc

    import ipykernel.ipkernel  # noqa: F401 - the kernel's own imports, made once
    import ipykernel.kernelapp  # noqa: F401

    gc.collect()
    gc.freeze()  # what the children inherit is never walked by their collector (nor copied for it)
    try:
        for line in requests:
            request = json.loads(line)
            if other_threads():  # forking now could leave a lock held in the kernel for ever: start it afresh
                replies.write(json.dumps({"error": "threads"}) + "\n")
                continue
            pid = os.fork()
            if pid == 0:
                requests.close()
                replies.close()
                _become_kernel(request)
            kernels.add(pid)
            replies.write(json.dumps({"pid": pid}) + "\n")
    except OSError:  # the command went away mid-request
        pass
    # The command is done: its kernels end here, and are waited for, so that their time is counted as the
    # command's (the command waits for this process).
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for pid in list(kernels):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _become_kernel(request: dict) -> None:
    """In the forked child: the kernel the command asked for, in its own session, dying with the server."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        for sig in (signal.SIGCHLD, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # ipykernel's own watch on its parent, the server (its default was read when the server imported it)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        sys.argv = [sys.executable, *request["args"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover - run as the fork server by ForkServer
    _serve(int(sys.argv[1]), int(sys.argv[2]))
