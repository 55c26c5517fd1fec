"""Image file input and output for the HDR plugin; every writer is atomic."""

from ahdr_nodes import atomic_output
from ahdr_nodes.hdr.io.hdr_files import EXR_COMPRESSIONS, HDR_SUFFIXES, read_hdr, write_hdr
from ahdr_nodes.hdr.io.ldr_files import LDR_SUFFIXES, LDRInfo, read_ldr, write_ldr

__all__ = [
    "EXR_COMPRESSIONS",
    "HDR_SUFFIXES",
    "LDR_SUFFIXES",
    "LDRInfo",
    "atomic_output",
    "read_hdr",
    "read_ldr",
    "write_hdr",
    "write_ldr",
]
