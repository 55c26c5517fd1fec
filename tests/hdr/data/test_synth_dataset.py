"""The torch dataset of synthetic brackets: network inputs and worker-safe seeding."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits
from torch.utils.data import DataLoader, Dataset

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.data.torch_dataset import (
    SyntheticBracketDataset,
    network_inputs,
    single_threaded_worker,
)

SMALL = SynthConfig(size=(32, 48))


@pytest.fixture(scope="module")
def dataset():
    return SyntheticBracketDataset(load_sources(bundled_hdri_files()), 6, seed=11, config=SMALL)


def test_network_inputs_are_ldr_then_linearised_ldr():
    rng = np.random.default_rng(0)
    frames = [rng.random((5, 7, 3)).astype(np.float32) for _ in range(3)]
    times = [1.0, 4.0, 16.0]
    inputs = network_inputs(frames, times)
    assert inputs.shape == (3, 6, 5, 7) and inputs.dtype == torch.float32
    for i, (frame, time) in enumerate(zip(frames, times, strict=True)):
        np.testing.assert_allclose(inputs[i, :3].numpy(), frame.transpose(2, 0, 1))
        expected = frame.transpose(2, 0, 1).astype(np.float64) ** 2.2 / time
        np.testing.assert_allclose(inputs[i, 3:].numpy(), expected, rtol=1e-5, atol=1e-7)


def test_items_are_the_seeded_examples_as_tensors(dataset):
    inputs, target = dataset[4]
    example = synthesise_example(dataset.sources, example_rng(11, 4), SMALL)
    assert inputs.shape == (3, 6, 32, 48) and target.shape == (3, 32, 48)
    torch.testing.assert_close(inputs, network_inputs(example.frames, example.times))
    np.testing.assert_array_equal(target.permute(1, 2, 0).numpy(), example.ground_truth)


def test_items_do_not_depend_on_access_order_or_workers(dataset):
    direct = [dataset[i] for i in range(len(dataset))]
    backwards = [dataset[i] for i in reversed(range(len(dataset)))][::-1]
    loader = DataLoader(dataset, batch_size=2, num_workers=2)
    batched = [item for inputs, targets in loader for item in zip(inputs, targets, strict=True)]
    for (x, y), (x2, y2), (x3, y3) in zip(direct, backwards, batched, strict=True):
        torch.testing.assert_close(x, x2, rtol=0, atol=0)
        torch.testing.assert_close(y, y2, rtol=0, atol=0)
        torch.testing.assert_close(x, x3, rtol=0, atol=0)
        torch.testing.assert_close(y, y3, rtol=0, atol=0)
    assert not torch.equal(direct[0][1], direct[1][1])


def test_seed_changes_the_data(dataset):
    other = SyntheticBracketDataset(dataset.sources, 6, seed=12, config=SMALL)
    assert not torch.equal(dataset[0][1], other[0][1])


def test_bad_dataset_arguments(dataset):
    with pytest.raises(UserError, match="length"):
        SyntheticBracketDataset(dataset.sources, 0, seed=1)
    with pytest.raises(UserError, match="seed"):
        SyntheticBracketDataset(dataset.sources, 4, seed=-1)
    with pytest.raises(UserError, match="no source"):
        SyntheticBracketDataset([], 4, seed=1)
    with pytest.raises(IndexError):
        dataset.example(6)
    # frames count follows the configuration
    four = SyntheticBracketDataset(dataset.sources, 1, 0, dataclasses.replace(SMALL, frames=4))
    assert four[0][0].shape[0] == 4


class _BlasThreads(Dataset):
    """Reports, from inside the worker, how many threads numpy's BLAS may start."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> int:
        return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def test_workers_run_blas_on_one_thread():
    # A BLAS pool per core in every worker made 12 workers on a 16-core host 11x slower.
    loader = DataLoader(_BlasThreads(), num_workers=1, worker_init_fn=single_threaded_worker)
    with threadpool_limits(4):  # the pool a worker would inherit on a 4-core machine
        assert [int(threads) for threads in loader] == [1]
