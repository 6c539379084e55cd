"""Building on a Ray cluster: the files a build must read are read, cut into passages and embedded on the cluster's
workers, and streamed back in order to this process (the driver), which writes the generation — SQLite, BM25,
FAISS, the switch — exactly as a local build does (``qa.store.build``).

The workers are a Ray Data actor pool: one actor per CPU of the cluster, each holding one embedder for its whole
life, one text per forward pass on one core (the same deterministic vectors as a local build). Ray retries the
work of a worker that dies; a driver that dies leaves the previous generation answering, as any interrupted build
does. Ray is optional (``pip install 'qa[ray]'``).

Addresses (``qa index --ray ADDRESS`` or ``QA_RAY_ADDRESS``): ``local`` starts a cluster on this machine for the
run (``local:N`` with N worker CPUs); ``auto`` joins the one running here (``ray start --head``);
``ray://host:10001`` connects to a remote one, whose workers must see the corpus folder at the same path (shared
storage) and have qa installed.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Settings, cache_root, fault_at
from ..errors import QAError
from ..models.embedding import get_tokenizer, make_embedder
from ..read.documents import Document, FileInfo, OnPage, Skipped, iter_documents
from .build import Embedded, Source, embed_document

INSTALL = "Ray is not installed; install it with: pip install 'qa[ray]' (or pip install 'ray[data]')"


def _ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise QAError(f"--ray needs Ray. {INSTALL}") from None
    return ray


@contextmanager
def connected(address: str) -> Iterator[int]:
    """Connected to the cluster at ``address`` for the block; yields how many CPUs it has. A cluster started here
    (``local``) is shut down after."""
    ray = _ray()
    env = {"env_vars": {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "QA_CACHE": str(cache_root()),
                        **({"QA_FAULT_AT": fault_at()} if fault_at() else {})}}
    options = dict(runtime_env=env, include_dashboard=False, log_to_driver=False, configure_logging=False,
                   logging_level=logging.ERROR)
    if ray.is_initialized():
        raise QAError("Ray is already connected in this process; build from a new one")
    check_address(address)
    try:
        with _quiet_ray():
            if address.partition(":")[0] == "local":
                ray.init(num_cpus=int(address.partition(":")[2] or 0) or None, **options)
            else:
                options.pop("include_dashboard")
                ray.init(address=address, **options)
    except Exception as e:  # ConnectionError, a timeout, a version mismatch: say which, without a traceback
        raise QAError(f"cannot connect to the Ray cluster at {address}: {str(e).splitlines()[0]}") from None
    try:
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        ray.shutdown()


@contextmanager
def _quiet_ray():
    """Ray starting without telling the user that token authentication is on: the safe default it keeps for a local
    cluster, worth no warning at every build."""
    auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = auth.level
    auth.setLevel(logging.ERROR)
    try:
        yield
    finally:
        auth.setLevel(level)


class EmbedFiles:
    """A worker of the pool: reads, cuts and embeds the files it is handed, with one embedder on one core."""

    def __init__(self, corpus: str, settings: dict, max_bytes: int):
        self.corpus, self.max_bytes = Path(corpus), max_bytes
        self.settings = Settings(**settings)
        self.tokenizer = get_tokenizer(self.settings.model)
        self.embedder = make_embedder(self.settings, threads=1)
        self.done = 0

    def __call__(self, batch: dict) -> dict:
        items = []
        for doc_id, path, size, mtime_ns, known in zip(batch["doc_id"], batch["path"], batch["size"],
                                                       batch["mtime_ns"], batch["known"]):
            info = FileInfo(str(doc_id), Path(path), int(size), int(mtime_ns))
            for item in iter_documents(self.corpus, [info], self.max_bytes):
                items.append(item if isinstance(item, Skipped) else
                             embed_document(item, self.tokenizer, self.embedder, self.settings, set(known)))
            self.done += 1
            _worker_fault(self.done)
        return {"item": items}


def _worker_fault(done: int) -> None:
    """Test hook: ``QA_FAULT_AT=worker:N:MARKER`` kills the first worker that has read N files (SIGKILL, as the OOM
    killer or a lost node would), once: the MARKER file records that it happened."""
    spec = (fault_at() or "").split(":", 2)
    if len(spec) == 3 and spec[0] == "worker" and done == int(spec[1]):
        try:
            os.close(os.open(spec[2], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)


def check_address(address: str) -> str:
    kind, _, cpus = address.partition(":")
    if kind == "local" and (not cpus or cpus.isdigit() and int(cpus) > 0):
        return address
    if address == "auto" or address.startswith("ray://") or kind != "local" and cpus:
        return address
    raise QAError(f"Unknown Ray address '{address}'. Choose from: local, local:N, auto, ray://HOST:PORT")


def ray_source(address: str, settings: Settings) -> Source:
    """A build ``Source`` that reads and embeds the files on the Ray cluster at ``address``."""
    check_address(address)
    _ray()  # before anything is built: a missing Ray is a one-line error

    def source(corpus: Path, files: list[FileInfo], max_bytes: int, on_page: OnPage | None,
               known=lambda doc_id: frozenset()) -> Iterator[Document | Skipped | Embedded]:
        for f in files:  # what the listing already refused is never sent
            if f.problem:
                yield Skipped(f.doc_id, f.problem)
        todo = [f for f in files if not f.problem]
        if not todo:
            return
        ray = _ray()
        with connected(address) as cpus:
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True  # passage ids follow the files, as in a local build
            context.enable_progress_bars = False  # the driver shows its own
            logging.getLogger("ray.data").setLevel(logging.ERROR)
            # each file goes with the text hashes of its passages in the previous generation: an edited file's
            # unchanged passages are not embedded again (their vectors come from the previous generation)
            rows = [{"doc_id": f.doc_id, "path": str(f.path), "size": f.size, "mtime_ns": f.mtime_ns,
                     "known": sorted(known(f.doc_id))} for f in todo]
            files_ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * cpus))
            # Ray Data restarts an actor of the pool that dies and gives its file to a worker again (its defaults:
            # max_restarts and max_task_retries -1; tests/test_cluster.py kills one)
            embedded = files_ds.map_batches(
                EmbedFiles, fn_constructor_kwargs={"corpus": str(corpus), "settings": settings.as_dict(),
                                                   "max_bytes": max_bytes},
                batch_size=1, concurrency=min(cpus, len(rows)), num_cpus=1)
            for row in embedded.iter_rows():
                yield row["item"]

    return source
