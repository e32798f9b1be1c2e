"""One process of the two-process MeCo test, started by `torchrun` as users start the recipe.

    torchrun --nproc_per_node 2 tests/models/meco_ddp_worker.py CACHE OUT
"""

import json
import sys
from pathlib import Path

import torch

from tests.models.test_meco_train import _config
from models.train.meco import train

if __name__ == "__main__":
    cache, out = Path(sys.argv[1]), Path(sys.argv[2])
    torch.set_num_threads(1)
    result = train(_config(), out, cache)
    (out / f"result-{result['rank']}.json").write_text(json.dumps(result))
