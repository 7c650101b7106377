"""The dataset builder: many scenes drawn from a declared distribution, rendered through the pipeline object,
in this process, local worker processes or Ray tasks, into a folder that Hugging Face `datasets` (audio folder)
and `SpatialAudioDataset` (torch) both read.

    from cascade.dataset import DatasetConfig, build
    report = build("out", 1000, DatasetConfig(length=4.0), workers=2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cascade.dataset.build import BuildReport, build
from cascade.dataset.config import DatasetConfig, load_config, parse_config
from cascade.dataset.sampler import sample_scene

if TYPE_CHECKING:
    from cascade.dataset.torch_dataset import SpatialAudioDataset, collate

__all__ = ["BuildReport", "DatasetConfig", "SpatialAudioDataset", "build", "collate", "load_config", "parse_config", "sample_scene"]


def __getattr__(name: str) -> Any:
    if name in ("SpatialAudioDataset", "collate"):  # torch is imported only by who trains
        from cascade.dataset import torch_dataset

        return getattr(torch_dataset, name)
    raise AttributeError(f"module 'cascade.dataset' has no attribute {name!r}")
