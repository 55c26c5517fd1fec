"""Correctness of the shipped (builtin) weights on static brackets with a known answer.

A merge network that casts colours into clipped highlights, crushes shadows or
compresses the range fails real photographs even when its mean PSNR looks fine.
Each test synthesises a static bracket of a bundled panorama with the paper's
camera (gamma 2.2, lossless), merges it with the builtin weights exactly as the
Linearise -> Attention -> Merge nodes do (default response), and checks one property;
the range tests also run the default graph of `ahdr merge`, which must pass them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from ahdr_nodes import run_graph
from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.data.sources import HDRSource, bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.data.torch_dataset import network_inputs
from ahdr_nodes.hdr.io import write_ldr
from ahdr_nodes.hdr.model import AHDRNet, load_weights, resolve_weights
from ahdr_nodes.hdr.ops.tonemap import mu_law

SIZE = (96, 128)
STATIC = dataclasses.replace(
    SynthConfig(size=SIZE).plain_camera(),
    static_fraction=1.0,
    max_objects=0,
    noise=False,
    exposure_jitter=0.0,
    uneven_probability=0.0,
    augment=False,
    # the reference frame half exposed: clipped highlights and dark shadows both occur
    reference_median=(0.35, 0.45),
)

# the shipped network and the default graph on several brackets each
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def network():
    model = AHDRNet(resolve_weights("builtin").config).eval()
    load_weights(model, resolve_weights("builtin"))
    return model


@pytest.fixture(scope="module")
def sources():
    return load_sources(bundled_hdri_files())


def merge(network, frames, times) -> np.ndarray:
    with torch.inference_mode():
        output = network(network_inputs(frames, times)[None])
    return output[0].permute(1, 2, 0).numpy()


def merge_default_graph(folder: Path, frames, times) -> np.ndarray:
    """The bracket through the graph `ahdr merge` runs by default, from 16-bit TIFFs."""
    paths = []
    for index, frame in enumerate(frames):
        paths.append(folder / f"{len(list(folder.iterdir())):03d}-{index}.tif")
        write_ldr(paths[-1], frame, 16)
    inputs = {"frames": [str(p) for p in paths], "times": [float(t) for t in times]}
    result = run_graph(DEFAULT_GRAPH, inputs, targets=["blend"])
    return result["blend.hdr"].data


@pytest.fixture
def merger(request, network, tmp_path):
    """The shipped weights alone, or the default graph (parametrised indirectly)."""
    if request.param == "network":
        return lambda frames, times: merge(network, frames, times)
    return lambda frames, times: merge_default_graph(tmp_path, frames, times)


def static_example(sources, ev_step: float, seed: int = 0):
    config = dataclasses.replace(STATIC, ev_steps=(ev_step,))
    return synthesise_example(sources, example_rng(seed, 0), config)


def grey(source: HDRSource) -> HDRSource:
    """The source without colour and with its contrast squared, so brackets clip."""
    luminance = (source.radiance @ np.float32([0.2126, 0.7152, 0.0722])) ** 2
    return HDRSource.from_array(f"grey {source.name}", np.repeat(luminance[..., None], 3, axis=2))


@pytest.mark.parametrize("merger", ["network", "default graph"], indirect=True)
def test_neutral_scene_with_clipped_highlights_stays_neutral(merger, sources):
    """Where the reference frame clips, the merge must take colour from the short frame,
    and a grey scene has none to take: no cyan or lavender highlights."""
    greys = [grey(source) for source in sources]
    for seed in range(3):
        example = synthesise_example(
            greys,
            example_rng(seed, 0),
            dataclasses.replace(STATIC, white_balance_jitter=0.0, ev_steps=(2.0,)),
        )
        reference = example.frames[example.reference]
        clipped = (reference >= 0.999).any(axis=-1)
        assert clipped.mean() > 0.01, "the bracket must clip somewhere to test highlights"
        merged = mu_law(merger(example.frames, example.times))
        chroma = merged - merged.mean(axis=-1, keepdims=True)
        # mu-law values: 0.03 is about a tenth of a stop of hue shift
        assert np.abs(chroma[clipped]).mean() < 0.03
        assert np.abs(chroma).max(axis=-1).mean() < 0.03


# The shipped weights (the H100 weights continued on an H200 for 2,400 steps at 256 px)
# pass the EV-spacing test alone (mean mu-law difference to EV 2: 0.015 at EV 1, 0.010 at
# EV 3, 0.013 at EV 4) but not the radiance test: ratio 0.94 at EV 2 and 0.89 at EV 4,
# where the darkest fifth is 1.21 and the brightest 0.85 (the H100 weights: 0.95 and 0.91).
# strict: the test fails as soon as weights that pass it land, so the mark comes off.
NETWORK_RANGE = pytest.mark.xfail(
    strict=True, reason="shipped weights: 6-11 % low in well-exposed regions (issue 10)"
)


@pytest.mark.parametrize(
    "merger",
    [pytest.param("network", marks=NETWORK_RANGE), "default graph"],
    indirect=True,
)
def test_well_exposed_radiance_matches_the_linearised_reference(merger, sources):
    """No shadow crushing and no range compression: in the reference frame's well-exposed
    pixels the merged radiance is the linearised reference within 5 %."""
    for ev_step in (2.0, 4.0):
        example = static_example(sources, ev_step)
        reference = example.frames[example.reference]
        linear = reference**2.2 / example.times[example.reference]
        exposed = ((reference > 0.1) & (reference < 0.9)).all(axis=-1)
        merged = merger(example.frames, example.times)
        ratio = merged[exposed].sum() / linear[exposed].sum()
        assert 0.95 < ratio < 1.05
        # and per brightness decile, so dark and bright halves cannot cancel out
        levels = linear[exposed].mean(axis=-1)
        for part in np.array_split(np.argsort(levels), 5):
            part_ratio = merged[exposed][part].sum() / linear[exposed][part].sum()
            assert 0.9 < part_ratio < 1.1


@pytest.mark.parametrize("merger", ["network", "default graph"], indirect=True)
def test_one_scene_at_ev_spacings_one_to_four_gives_the_same_hdr(merger, sources):
    """The HDR of a scene must not depend on how the bracket was spaced, up to the
    range each spacing can see: compared where the ground truth is below the
    saturation of the narrowest bracket's short frame."""
    results = {}
    for ev_step in (1.0, 2.0, 3.0, 4.0):
        example = static_example(sources, ev_step, seed=5)
        results[ev_step] = (merger(example.frames, example.times), example)
    # each bracket is exposed for its own short frame: compare on one absolute scale
    truths = {step: example.ground_truth for step, (_, example) in results.items()}
    baseline_step = 2.0
    for step, (merged, _) in results.items():
        scale = _scale(truths[baseline_step], truths[step])
        difference = np.abs(mu_law(merged * scale) - mu_law(results[baseline_step][0]))
        assert difference.mean() < 0.02, f"EV {step} against EV {baseline_step}"


def _scale(target: np.ndarray, source: np.ndarray) -> float:
    """The factor taking one exposure of the same scene onto another's scale."""
    usable = (source > 1e-3) & (target > 1e-3) & (source < 0.99) & (target < 0.99)
    return float(np.median(target[usable] / source[usable]))
