"""Starting Hail (Spark) for the cohort stage: loopback-bound local mode or a cluster.

Local mode (the default, ``local[2]``) binds the driver, the block manager and every
listening socket to 127.0.0.1 (``SPARK_LOCAL_IP`` plus ``spark.driver.host`` /
``spark.driver.bindAddress``) and turns the Spark UI off: nothing listens on another
interface. A ``spark://``, ``yarn`` or ``k8s://`` master URL runs the same steps on a cluster
(Dataproc: ``hailctl dataproc submit``; see docs/cohort.md) and leaves the network settings
to the cluster.

Only entry points (``triage cohort``'s main, test fixtures, the benchmark script) call
:func:`init_hail`; the steps never do.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from triage.errors import TriageError

DEFAULT_MASTER = "local[2]"
LOOPBACK = "127.0.0.1"


def is_local(master: str) -> bool:
    return master.startswith("local")


def spark_conf(master: str, driver_memory: str | None = None) -> dict[str, str]:
    """The Spark configuration of :func:`init_hail` (loopback-only for a local master)."""
    conf = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    if is_local(master):
        conf.update({"spark.driver.host": LOOPBACK, "spark.driver.bindAddress": LOOPBACK,
                     "spark.blockManager.port": "0"})
    if driver_memory:
        conf["spark.driver.memory"] = driver_memory
    return conf


def default_tmp_dir() -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / "triage-hail"


def init_hail(master: str = DEFAULT_MASTER, tmp_dir: str | Path | None = None, *,
              log: str | Path | None = None, quiet: bool = True, driver_memory: str | None = None):
    """``hl.init`` once per process; returns the hail module.

    ``tmp_dir``: Hail's temporary / checkpoint directory and Spark's local directory
    (default ``$TMPDIR/triage-hail``); it must be on a shared file system for a cluster.
    """
    try:
        import hail as hl
    except ImportError:
        raise TriageError("the cohort stage needs Hail: pip install -e '.[cohort]' (and a Java 11 or 17 "
                          "runtime; see README)") from None
    if is_local(master):
        os.environ["SPARK_LOCAL_IP"] = LOOPBACK
        os.environ.setdefault("SPARK_LOCAL_HOSTNAME", "localhost")
    tmp = Path(tmp_dir) if tmp_dir else default_tmp_dir()
    tmp.mkdir(parents=True, exist_ok=True)
    conf = spark_conf(master, driver_memory)
    conf["spark.local.dir"] = str(tmp / "spark")
    warnings.filterwarnings("ignore", message="Hail was built and tested with Java 11")
    hl.init(master=master, tmp_dir=str(tmp), local_tmpdir=str(tmp), quiet=quiet,
            log=str(log or tmp / "hail.log"), spark_conf=conf, idempotent=True)
    return hl


def stop_hail() -> None:
    import hail as hl

    hl.stop()
