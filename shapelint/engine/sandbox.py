"""Confine a worker with the kernel's help: Landlock on Linux, so a load that an allowlist missed still cannot
reach the host.

A confined worker reads only what it needs to run (the Python installation, the directories on sys.path,
the system libraries and the kernel's /proc and /sys) and the sources it was given; it writes only its
own temporary folder; it connects and binds no TCP port (Landlock ABI 4 and later) and cannot reach
abstract Unix sockets or signal processes outside itself (ABI 6). no_new_privs first, as Landlock
requires, so nothing it runs can gain privileges either. Landlock needs no privileges; where the kernel
has none (macOS, Windows, Linux before 5.13, or Landlock turned off) `confine` says so in one line and
the allowlists alone guard the load. Standard library only: ctypes and the three system calls.
"""

from __future__ import annotations

import ctypes
import os
import platform
import site
import sys
import sysconfig

# System calls (the same numbers on every Linux architecture that has them: the generic table).
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, PR_SET_NO_NEW_PRIVS = 1, 38

# Filesystem rights, by ABI: 1 has bits 0-12, 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
MAKE = sum(1 << bit for bit in range(4, 13))  # remove and make dirs, files, devices, sockets, fifos, symlinks
REFER, TRUNCATE = 1 << 13, 1 << 14
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = EXECUTE | READ_FILE | READ_DIR
# What any Python process reads besides its installation: shared libraries, locale and time zone data,
# and what the kernel tells about the machine (cores, memory) that TensorFlow and PyTorch ask at import;
# of /proc only this process's own entries (not another process's environment or command line).
SYSTEM_READ = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/usr/bin", "/bin",
               "/usr/share/zoneinfo", "/usr/share/locale",
               "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf",
               "/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/sys", "/proc/filesystems",
               "/proc/mounts", "/sys/devices/system/cpu", "/sys/fs/cgroup", "/sys/bus/cpu", "/sys/devices/system/node",
               "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
SYSTEM_WRITE = ("/dev/null",)


class _Ruleset(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none."""
    if platform.system() != "Linux":
        return 0
    try:
        version = _libc().syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(version, 0)


def python_paths() -> list[str]:
    """What importing Python, shapelint and the frameworks reads: the prefixes, site-packages and sys.path."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable),
             os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(sysconfig.get_paths().values())
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    paths.update(entry for entry in sys.path if entry)
    paths.discard(os.getcwd())  # `python -m` puts the working directory first: it is the user's, not Python's
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # shapelint itself, wherever it is
    return sorted(p for p in paths if p and os.path.exists(p))


def source_writes(source) -> list[str]:
    """What a worker may write for one source besides its temporary folder: a module:factory is the user's
    own code, which may keep files beside itself; a model file writes nothing."""
    if source.kind != "factory":
        return []
    return [str(source.path.resolve().parent)] if source.path else [os.getcwd()]


def source_reads(source) -> list[str]:
    """What a worker must read for one source: its file or folder (an ONNX file's folder, for its external data;
    a Hugging Face snapshot's repo folder, whose blobs its files link to; a factory's project, the working
    directory it imports from). System programs run confined too."""
    path = source.path
    if source.kind == "factory":
        return [os.getcwd(), *([str(path.resolve().parent)] if path else [])]
    if path is None:
        return []
    if source.kind == "onnx":
        return [str(path.parent)]
    if source.kind == "hf" and path.parent.name == "snapshots":
        return [str(path.parent.parent)]
    return [str(path)]


def confine(read: list[str], write: list[str]) -> str | None:
    """Confine this process for the rest of its life; None when done, else one line saying why it could not be."""
    version = abi()
    if version < 1:
        return ("this kernel cannot confine the workers (Landlock, Linux 5.13+, is not available here); "
                "the allowlists alone guard each load")
    libc = _libc()
    handled_fs = READ | WRITE_FILE | MAKE | (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)
    ruleset = _Ruleset(handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = ctypes.sizeof(_Ruleset) if version >= 6 else 16 if version >= 4 else 8
    fd = libc.syscall(CREATE_RULESET, ctypes.byref(ruleset), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return f"Landlock refused a ruleset ({os.strerror(ctypes.get_errno())}); the allowlists alone guard each load"
    try:
        for path, access in [*((p, READ) for p in (*python_paths(), *SYSTEM_READ, *read)),
                             *((p, handled_fs) for p in (*SYSTEM_WRITE, *write))]:
            _allow(libc, fd, path, access)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"cannot set no_new_privs ({os.strerror(ctypes.get_errno())}); the allowlists alone guard each load"
        if libc.syscall(RESTRICT_SELF, fd, ctypes.c_uint32(0)) != 0:
            return f"Landlock could not confine ({os.strerror(ctypes.get_errno())}); the allowlists alone guard each load"
    finally:
        os.close(fd)
    return None


def _allow(libc, ruleset: int, path: str, access: int) -> None:
    """Allow `access` beneath path (a file gets only the file rights); a path that does not exist is skipped."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            access &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
        rule = _PathBeneath(access, fd)
        libc.syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0))
    finally:
        os.close(fd)
