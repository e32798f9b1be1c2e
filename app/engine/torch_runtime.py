"""torch in the app's process: when it loads, and how many CPU threads model jobs use.

Importing torch takes over a second, so the window opens without it and `warm_up` loads it in a
background thread soon after. Part of that import is the dynamic loading of torch's libraries
(hundreds of MB of relocations), and Python's import holds the GIL while it runs: the window,
and the audio callback, would stop for a couple of hundred milliseconds. Loading those libraries
first through libc's `dlopen`, called as a foreign function (ctypes releases the GIL for those),
leaves the import only finding them already loaded.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import logging
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# What torch's extension module links: the dynamic linker loads their dependencies (libtorch_cpu,
# libc10, torch's OpenMP) as it would for the import. A build without one just skips it.
TORCH_LIBRARIES = ("libtorch_python.so",)
RTLD_NOW = 2
WARM_UP_THREAD = "torch-warm-up"

_chosen = 0                    # 0: torch's own choice
_torch_default: int | None = None  # torch's count before this module first changed it


def set_model_threads(count: int) -> None:
    """Torch's CPU threads for model jobs (0: torch's own choice); applied now if torch is loaded,
    else when a model loads, so that the preference does not load torch."""
    global _chosen
    _chosen = count
    if "torch" in sys.modules:
        apply_model_threads()


def apply_model_threads() -> None:
    """Set torch's thread count to the preference (back to torch's own after 0). A process
    that never chose one, such as the command line with its --threads, is left alone."""
    global _torch_default
    import torch

    if _chosen and _torch_default is None:
        _torch_default = torch.get_num_threads()
    if _torch_default is not None:
        torch.set_num_threads(_chosen or _torch_default)


def preload_libraries() -> int:
    """dlopen torch's shared libraries without holding the GIL; how many were loaded."""
    spec = importlib.util.find_spec("torch")
    if sys.platform != "linux" or spec is None or spec.origin is None:
        return 0
    libc = ctypes.CDLL(None)
    libc.dlopen.restype = ctypes.c_void_p
    loaded = 0
    for name in TORCH_LIBRARIES:
        path = Path(spec.origin).parent / "lib" / name
        if path.is_file() and libc.dlopen(str(path).encode(), RTLD_NOW):
            loaded += 1
    return loaded


def _load() -> None:
    try:
        preload_libraries()
        importlib.import_module("torch")
    except Exception:            # the thread's edge: the first model run imports it again and reports
        log.exception("torch could not be loaded in the background")


def warm_up() -> threading.Thread:
    """Load torch in a background thread, before a first model run needs it."""
    thread = threading.Thread(target=_load, name=WARM_UP_THREAD)
    thread.start()
    return thread
