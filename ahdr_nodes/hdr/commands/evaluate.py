"""``ahdr eval``: score merge graphs against ground truth on Kalantari-layout scenes."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from ahdr_nodes import resolve_graph_path
from ahdr_nodes.hdr.commands.report_file import check_report, write_report
from ahdr_nodes.hdr.data.kalantari import list_scenes
from ahdr_nodes.hdr.evaluate import evaluate, format_report, report_json, summarise


@click.command(name="eval")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    required=True,
    help="A graph file or bundled graph name (debevec, reference_only, ...). Repeatable.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write a report.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --json report.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N scenes (by name).")
@click.option(
    "--sheets",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write a contact sheet of all graphs per scene into this folder (SCENE.png).",
)
def eval_command(
    data_dir: Path,
    graphs: tuple[str, ...],
    json_path: Path | None,
    overwrite: bool,
    limit: int | None,
    sheets: Path | None,
) -> None:
    """Run each GRAPH on each scene of DATA_DIR and print PSNR-mu, PSNR-L and SSIM-mu.

    DATA_DIR holds Kalantari-layout scene folders (.tif frames, exposure.txt,
    HDRImg.hdr), e.g. from `ahdr data synth`. Each graph must declare the inputs
    `frames` and `exposure_file` and an output `hdr`; it runs only up to its HDR
    result, so nothing is written but the optional report and sheets. Means are
    given over all scenes and, for synthetic scenes, over each subset they record:
    static/dynamic, tone-curve family, EV spacing, bit depth or JPEG.
    """
    resolved = {name: resolve_graph_path(name) for name in dict.fromkeys(graphs)}
    scene_files = [path for folder in list_scenes(data_dir) for path in folder.iterdir()]
    check_report(json_path, overwrite, [*scene_files, *resolved.values()])
    bar = tqdm(unit="run", desc="eval", disable=not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        scores = evaluate(data_dir, resolved, limit, progress, sheets)
    finally:
        bar.close()
    summaries = summarise(scores)
    click.echo(format_report(scores, summaries))
    if json_path is not None:
        write_report(json_path, report_json(data_dir, resolved, scores, summaries), overwrite)
