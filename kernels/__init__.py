"""Fused Triton kernels for AHDRNet's dilated residual dense blocks (``ahdr_kernels``).

``ahdr_kernels.drdb`` holds the block-level API (``pack_drdb``,
``drdb_forward_triton``, ``drdb_reference``); ``drdb_layer`` and ``drdb_fuse`` the
two kernels; ``bench`` the benchmarks behind ``ahdr bench drdb|model``. Nothing
is imported here, so importing the package does not import triton.
"""
