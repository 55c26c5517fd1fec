"""Class 5 for what cannot be checked in advance: a result refused once it exists (NaN
pixels) withdraws the outputs written before it in the same run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ahdr_nodes import NodeContext, UserError
from ahdr_nodes.core.atomic import all_or_nothing
from ahdr_nodes.hdr.io import write_hdr, write_ldr
from ahdr_nodes.hdr.nodes.save import SaveImage
from ahdr_nodes.hdr.types import LDRImage

IMAGE = np.full((4, 4, 3), 0.5, np.float32)


def test_a_run_whose_last_output_is_refused_leaves_no_first_output(tmp_path: Path) -> None:
    broken = IMAGE.copy()
    broken[0, 0, 0] = np.nan
    preview = SaveImage("preview", path=tmp_path / "preview.png")
    with pytest.raises(UserError, match="preview.png: not written"), all_or_nothing():
        write_hdr(tmp_path / "o.exr", IMAGE)
        write_ldr(tmp_path / "first.png", IMAGE)
        preview.run(NodeContext("preview"), LDRImage(broken))
    assert not list(tmp_path.iterdir())  # no output, no temporary


def test_a_failed_run_keeps_what_it_replaced_and_what_was_there(tmp_path: Path) -> None:
    old = write_ldr(tmp_path / "old.png", IMAGE)
    with pytest.raises(UserError, match="already exists"), all_or_nothing():
        write_hdr(tmp_path / "new.exr", IMAGE)
        write_ldr(tmp_path / "old.png", IMAGE)  # refused: no overwrite
    assert [p.name for p in tmp_path.iterdir()] == [old.name]
