"""Writing a command's files without losing anything the user owns.

The rules (what a careful user of rsync or git expects):

* Every output path is checked before any fitting: its folder exists and is
  writable, nothing on the way is a file where a folder is needed, an output
  file is not a folder, and no output path is the input file (refused even
  with ``--overwrite``).
* Files the run would write that already exist stop it (exit 2, one line
  naming them) unless ``--overwrite`` is given; with ``--overwrite`` exactly
  the files this run writes are replaced. Nothing is ever deleted.
* Files are written into a staging folder next to their destination (same
  file system) and moved into place one by one (``os.link`` when not
  overwriting, so a file that appeared meanwhile is never replaced;
  ``os.replace`` when overwriting) only when all are complete; a failure or a
  signal leaves the destination as it was and removes the staging folder.
* One run at a time per destination: a lock file created with
  ``O_CREAT | O_EXCL`` holds the run's process id (``<out>/.bayesforge.lock``
  for ``gmm``, ``.<figure>.bayesforge.lock`` beside the figure for ``demo``).
  A second run stops at once naming the first one's pid. A lock whose process
  is gone (a run killed with SIGKILL) is never taken over silently: the
  message says so and names the file to remove, as git does with
  ``index.lock``.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .errors import CommandError
from .interrupts import RunState

__all__ = ["Target", "folder_target", "file_target", "Publication", "LOCK_SUFFIX"]

LOCK_SUFFIX = ".bayesforge.lock"


@dataclass(frozen=True)
class Target:
    """Where one run's files go: ``names`` inside ``folder`` (absolute); ``shown`` is how the user wrote it."""

    folder: Path
    names: tuple[str, ...]
    option: str
    shown: str
    #: gmm: the folder is created if missing (and removed again if the run ends without results).
    create_folder: bool
    lock_path: Path
    staging_prefix: str

    def display(self, name: str) -> str:
        """An output file as the user would write it."""
        return str(Path(self.shown) / name) if self.create_folder else self.shown


def folder_target(out: Path, names: Sequence[str], option: str = "--out") -> Target:
    """The folder ``out`` receiving ``names``; a :class:`CommandError` if it cannot be one."""
    shown = str(out)
    folder = Path(os.path.abspath(out))
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{option} {shown} is a file, not a folder")
    if not folder.exists():
        if os.path.islink(folder):
            raise CommandError(f"{option} {shown} is a symbolic link to something that does not exist")
        _check_parent(folder, option, shown)
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {shown}: cannot write in this folder (permission denied)")
    return Target(folder=folder, names=tuple(names), option=option, shown=shown, create_folder=True,
                  lock_path=folder / LOCK_SUFFIX, staging_prefix=".bayesforge-")


def file_target(out: Path, default_name: str, suffixes: Iterable[str], option: str = "--out",
                what: str = "the figure's format") -> Target:
    """The single file ``out`` (``out/default_name`` when ``out`` is a folder, as ``cp`` does).

    Its name must end in one of ``suffixes`` (``what`` they are, for the message).
    """
    path = Path(out)
    if path.is_dir():
        path = path / default_name
    shown = str(path)
    allowed = sorted(suffixes)
    if path.suffix.lower().lstrip(".") not in allowed:
        raise CommandError(f"{option} {shown}: the file name must end in {what}, one of "
                           f"{', '.join('.' + s for s in allowed)} (e.g. {default_name})")
    absolute = Path(os.path.abspath(path))
    if absolute.is_dir():
        raise CommandError(f"{option} {shown} is a folder")
    _check_parent(absolute, option, shown)
    return Target(folder=absolute.parent, names=(absolute.name,), option=option, shown=shown, create_folder=False,
                  lock_path=absolute.parent / f".{absolute.name}{LOCK_SUFFIX}",
                  staging_prefix=f".{absolute.name}-")


def _check_parent(path: Path, option: str, shown: str) -> None:
    """The folder holding ``path`` exists, every step is a folder, and it is writable."""
    parent = path.parent
    for ancestor in [*reversed(parent.parents), parent]:
        if not ancestor.exists():
            raise CommandError(f"{option} {shown}: the folder {ancestor} does not exist (create it first)")
        if not ancestor.is_dir():
            raise CommandError(f"{option} {shown}: {ancestor} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {shown}: cannot write in {parent} (permission denied)")


class _Conflict(Exception):
    """A destination file appeared between the check and the publication."""


class Publication:
    """Lock, staging folder and atomic publication of one run's files (a context manager).

    ``with Publication(target, state, overwrite=..., inputs=[data]) as files:``
    takes the lock, checks the destination (existing files, the input file),
    creates ``files.staging``; the command writes every file of
    ``target.names`` there and calls ``files.publish()``. Leaving the block
    removes the staging folder and the lock (and a folder this run created
    but never filled). A signal does the same through ``state``.
    """

    def __init__(self, target: Target, state: RunState, *, overwrite: bool, inputs: Sequence[Path] = (),
                 command: str = "bayesforge") -> None:
        self.target, self.state, self.overwrite = target, state, overwrite
        self.inputs = [Path(p) for p in inputs]
        self.command = command
        self.staging: Path | None = None
        self._token: str | None = None
        self._created_folder = False
        self._published = False

    # -- entering: folder, lock, checks, staging ---------------------------------------------------------
    def __enter__(self) -> "Publication":
        with self.state.guard:
            self.state.check()
            self.state.target = self.target.shown
            try:
                self._make_folder()
                self._take_lock()
                self._check_destination()
                self.staging = Path(tempfile.mkdtemp(prefix=self.target.staging_prefix, suffix=".partial",
                                                     dir=self.target.folder))
            except OSError as error:
                self._cleanup()
                raise CommandError(f"{self.target.option} {self.target.shown}: cannot write there: "
                                   f"{error.strerror or error}") from None
            except BaseException:
                self._cleanup()
                raise
            self.state.add_cleanup(self._cleanup)
        return self

    def __exit__(self, *exc_info) -> None:
        with self.state.guard:
            self.state.remove_cleanup(self._cleanup)
            self._cleanup()

    def _make_folder(self) -> None:
        folder = self.target.folder
        if not self.target.create_folder or folder.is_dir():
            return
        try:
            folder.mkdir()
            self._created_folder = True
        except FileExistsError:
            if not folder.is_dir():
                raise CommandError(f"{self.target.option} {self.target.shown} is a file, not a folder") from None

    def _take_lock(self) -> None:
        token = f"{os.getpid()} {socket.gethostname()} {uuid.uuid4().hex}\n{self.command}\n"
        try:
            descriptor = os.open(self.target.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise CommandError(self._lock_holder()) from None
        with os.fdopen(descriptor, "w") as handle:
            handle.write(token)
        self._token = token

    def _lock_holder(self) -> str:
        """Who holds the lock, and what to do about it."""
        target, lock = self.target, self.target.lock_path
        try:
            first = lock.read_text(errors="replace").split("\n", 1)[0].split()
        except OSError:
            first = []
        pid = int(first[0]) if first and first[0].isdigit() and int(first[0]) > 0 else None
        host = first[1] if len(first) > 1 else None
        if pid is None:
            return (f"{target.option} {target.shown} is locked by {lock} (another bayesforge run starting?); "
                    "if no bayesforge run is writing there, remove that file and run again")
        if host is not None and host != socket.gethostname():
            return (f"{target.option} {target.shown} is in use by bayesforge process {pid} on {host} (lock {lock}); "
                    "wait for it to finish, or remove the lock if that run is gone")
        if _process_exists(pid):
            return (f"{target.option} {target.shown} is in use by another bayesforge run (process {pid}); wait for "
                    f"it to finish or choose another {target.option}")
        return (f"{target.option} {target.shown}: the lock {lock} was left by bayesforge process {pid}, which is no "
                "longer running (killed?); remove that file and run again")

    def _check_destination(self) -> None:
        """No output path is the input file or a folder; existing outputs only with --overwrite."""
        target, existing = self.target, []
        for name in target.names:
            path = target.folder / name
            if not os.path.lexists(path):
                continue
            for source in self.inputs:
                if _same_file(path, source):
                    raise CommandError(f"{target.option} {target.shown}: {target.display(name)} is the input file "
                                       f"{source}; choose another {target.option} (an input is never replaced, "
                                       "not even with --overwrite)")
            if path.is_dir() and not path.is_symlink():
                raise CommandError(f"{target.option} {target.shown}: {target.display(name)} is a folder; move it "
                                   f"away or choose another {target.option}")
            existing.append(name)
        if existing and not self.overwrite:
            if target.create_folder:
                listed = " and ".join([", ".join(existing[:-1]), existing[-1]] if len(existing) > 1 else existing)
                raise CommandError(f"{target.option} {target.shown} already has {listed} (from an earlier run?): "
                                   f"pass --overwrite to replace {'them' if len(existing) > 1 else 'it'} (nothing "
                                   f"else in {target.shown} is touched), or choose another {target.option}")
            raise CommandError(f"{target.option} {target.shown} already exists: pass --overwrite to replace it, or "
                               f"choose another {target.option}")

    # -- publishing ---------------------------------------------------------------------------------------
    def publish(self) -> list[str]:
        """Move every staged file into place; returns them as the user would write them."""
        assert self.staging is not None, "publish() inside the with block"
        with self.state.guard:
            self.state.check()
            unwritten = [name for name in self.target.names if not (self.staging / name).is_file()]
            if unwritten:  # checked before any file is placed: the destination stays as it was
                raise RuntimeError(f"{', '.join(unwritten)} was not written before publishing")
            placed: list[Path] = []
            for name in self.target.names:
                source, destination = self.staging / name, self.target.folder / name
                try:
                    if self.overwrite:
                        os.replace(source, destination)
                    else:
                        _place_new(source, destination)
                except _Conflict:
                    for path in placed:  # files this run created a moment ago: take them back
                        path.unlink(missing_ok=True)
                    raise CommandError(f"{self.target.display(name)} appeared while this run was working and was "
                                       "left as it is; nothing was written (pass --overwrite to replace it)") from None
                except OSError as error:
                    done = ", ".join(self.target.display(p.name) for p in placed) or "nothing"
                    raise CommandError(f"cannot write {self.target.display(name)}: {error.strerror or error} "
                                       f"(written before the failure: {done})") from None
                placed.append(destination)
            self._published = True
            self.state.published = True
        return [self.target.display(name) for name in self.target.names]

    # -- cleaning up (holding state.guard) ----------------------------------------------------------------
    def _cleanup(self) -> None:
        if self.staging is not None:
            _remove_tree(self.staging)
            self.staging = None
        if self._token is not None:
            self._release_lock()
        if self._created_folder and not self._published:
            try:
                self.target.folder.rmdir()  # only if still empty
            except OSError:
                pass
            self._created_folder = False

    def _release_lock(self) -> None:
        lock, token, self._token = self.target.lock_path, self._token, None
        try:
            if lock.read_text(errors="replace") == token:  # never remove another run's lock
                lock.unlink()
        except OSError:
            pass


def _place_new(source: Path, destination: Path) -> None:
    """Put ``source`` at ``destination`` unless something is there (atomically where hard links work)."""
    try:
        os.link(source, destination)
    except FileExistsError:
        raise _Conflict(destination) from None
    except OSError:  # no hard links on this file system: check, then rename
        if os.path.lexists(destination):
            raise _Conflict(destination) from None
        os.replace(source, destination)


def _remove_tree(path: Path) -> None:
    """Remove ``path`` even while a worker thread may still be writing into it (until it is gone)."""
    for _ in range(200):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.01)


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return Path(os.path.abspath(path)).resolve() == Path(os.path.abspath(other)).resolve()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True
