"""Writers: HDR radiance to EXR/.hdr, display images to PNG/JPEG/TIFF.

Both write atomically, refuse to replace an existing file unless ``overwrite``
is set, create missing folders, and always run (never cached).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ahdr_nodes import (
    Input,
    Lineage,
    Node,
    NodeContext,
    Output,
    Param,
    ParamError,
    UserError,
    __version__,
    check_writable,
)
from ahdr_nodes.hdr.io import EXR_COMPRESSIONS, HDR_SUFFIXES, LDR_SUFFIXES, write_hdr, write_ldr
from ahdr_nodes.hdr.types import HDRImage, LDRImage


class FileWriter(Node):
    """Shared by the writers: never cached, and checked before the graph runs."""

    cacheable = False
    written = Output(Path, "the file written")
    overwrite = Param(bool, False, doc="replace an existing file")
    path: Path
    suffixes: ClassVar[tuple[str, ...]]

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> None:
        """Refuse a wrong extension when the graph is validated, before anything runs."""
        path = values["path"]
        if path.suffix.lower() not in cls.suffixes:
            raise ParamError(
                f"expected a path ending in {', '.join(cls.suffixes)}, got {str(path)!r}", "path"
            )

    def preflight(self) -> None:
        check_writable(self.path, self.overwrite)

    def require_finite(self, data: np.ndarray) -> None:
        """A result with NaN or infinite pixels is a failed merge, not an output."""
        bad = int(np.count_nonzero(~np.isfinite(data)))
        if bad:
            raise UserError(
                f"{self.path}: not written, node {self.node_id!r} received {bad} NaN or "
                "infinite values"
            )


def provenance(lineage: Lineage) -> dict[str, str]:
    """EXR header attributes saying how a result was made: the tool's version, the
    graph (name, a hash of its upstream nodes' types and params, the run's cache
    key), and each upstream node's records (source files, exposures, weights)."""
    nodes = [{k: node[k] for k in ("id", "type", "params")} for node in lineage.nodes]
    graph_json = json.dumps(nodes, sort_keys=True)
    attributes = {
        "ahdr:version": __version__,
        "ahdr:graph": Path(lineage.graph).name,
        "ahdr:graph_sha256": hashlib.sha256(graph_json.encode()).hexdigest(),
        "ahdr:run_key": lineage.key,
        "ahdr:nodes": graph_json,
    }
    for node in lineage.nodes:
        if node["records"]:
            attributes[f"ahdr:{node['id']}"] = json.dumps(node["records"], sort_keys=True)
    return attributes


class SaveHDR(FileWriter):
    """Linear radiance to OpenEXR (half by default) or Radiance .hdr; an EXR's header
    records how it was made (``provenance``)."""

    hdr = Input(HDRImage)
    path = Param(Path, output_file=True, doc="output .exr or .hdr")
    suffixes = HDR_SUFFIXES
    half = Param(bool, True, doc="EXR: half floats (False: 32-bit floats)")
    compression = Param(str, "zip", choices=tuple(EXR_COMPRESSIONS), doc="EXR compression")

    def run(self, ctx: NodeContext, hdr: HDRImage, **inputs: Any) -> dict[str, Any]:
        self.require_finite(hdr.data)
        written = write_hdr(
            self.path,
            hdr.data,
            half=self.half,
            compression=self.compression,
            overwrite=self.overwrite,
            attributes=provenance(ctx.lineage),
        )
        return {"written": written}


class SaveImage(FileWriter):
    """A display image to PNG (8/16-bit), TIFF (8/16-bit) or JPEG."""

    image = Input(LDRImage)
    path = Param(Path, output_file=True, doc="output .png, .jpg or .tif")
    suffixes = LDR_SUFFIXES
    bits = Param(int, 8, choices=(8, 16), doc="bits per channel (JPEG: 8 only)")
    jpeg_quality = Param(int, 95, minimum=1, maximum=100)

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> None:
        super().check_params(values)
        if values["bits"] == 16 and values["path"].suffix.lower() in (".jpg", ".jpeg"):
            raise ParamError(
                f"JPEG holds 8 bits only, got bits: 16 for {str(values['path'])!r}", "bits"
            )

    def run(self, ctx: NodeContext, image: LDRImage, **inputs: Any) -> dict[str, Any]:
        self.require_finite(image.data)
        written = write_ldr(
            self.path,
            image.data,
            self.bits,
            jpeg_quality=self.jpeg_quality,
            overwrite=self.overwrite,
        )
        return {"written": written}
