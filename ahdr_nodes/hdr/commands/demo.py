"""``ahdr demo``: the README's main job, on an embedded default bracket."""

from __future__ import annotations

from pathlib import Path

import click

from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.commands.size import parse_size
from ahdr_nodes.hdr.demo import METHODS, run_demo


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out/demo"),
    show_default=True,
    help="Folder for the bracket and results (rewritten).",
)
@click.option(
    "--weights",
    default="builtin",
    show_default=True,
    help="builtin, random (untrained) or a .safetensors file.",
)
@click.option("--seed", default=0, show_default=True, help="Which synthetic bracket.")
@click.option("--size", default="384x256", show_default=True, help="WIDTHxHEIGHT of the bracket.")
def demo(out_dir: Path, weights: str, seed: int, size: str) -> None:
    """Merge a synthetic bracket with moving objects (made from a bundled CC0 HDR
    photo) with AHDRNet and the baselines; print PSNR against the ground truth."""
    results = run_demo(out_dir, weights, seed, parse_size(size, minimum=32), click.echo)
    click.echo(f"{'method':<14} {'PSNR-mu':>8} {'PSNR-L':>8} {'SSIM-mu':>8}  output")
    for r in results:
        click.echo(
            f"{r.label:<14} {r.psnr_mu:8.2f} {r.psnr_l:8.2f} {r.ssim_mu:8.4f}  "
            f"{r.hdr_path}, {r.preview_path}"
        )
    network = results[0]
    baselines = [r for r, method in zip(results, METHODS, strict=True) if not method[2]]
    verdict = "beats" if all(network.psnr_mu > b.psnr_mu for b in baselines) else "does NOT beat"
    click.echo(
        f"AHDRNet ({weights} weights) {verdict} both baselines on PSNR-mu; Default is "
        f"`ahdr merge`'s graph, {DEFAULT_GRAPH}; side-by-side sheet: {out_dir / 'sheet.png'}"
    )
