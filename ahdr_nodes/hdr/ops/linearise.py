"""Taking LDR frames to linear radiance: the inverse camera response.

Radiance is put on the network's scale: divided by the relative exposure time
(shortest = 1), so a white pixel of the shortest frame has radiance 1.
A response curve here is a (256, 3) float32 array, RGB order, mapping an 8-bit
code to linear exposure.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.sampling import subsample_stride

MID_GREY_CODE = 128


def gamma_linearise(frame: np.ndarray, time: float, gamma: float = 2.2) -> np.ndarray:
    """H = I^gamma / t, the paper's inverse CRF."""
    return (np.power(frame, gamma) / np.float32(time)).astype(np.float32)


def response_linearise(frame: np.ndarray, time: float, response: np.ndarray) -> np.ndarray:
    """H = f^-1(I) / t with a tabulated response, interpolated between codes."""
    codes = np.arange(256, dtype=np.float32)
    scaled = frame * np.float32(255)
    channels = [np.interp(scaled[..., c], codes, response[:, c]) for c in range(3)]
    return (np.stack(channels, axis=-1) / time).astype(np.float32)


def gamma_response(gamma: float = 2.2) -> np.ndarray:
    """The gamma curve as a response table: (code / 255)^gamma for each channel."""
    curve = np.power(np.arange(256, dtype=np.float64) / 255.0, gamma)
    return np.repeat(curve[:, None], 3, axis=1).astype(np.float32)


# The codes between which ``shoulder_slope`` measures the response: the upper tones,
# where a highlight shoulder bends a camera curve and a gamma curve stays straight.
SHOULDER_CODES = (200, 250)


def shoulder_slope(response: np.ndarray | None, gamma: float = 2.2) -> float:
    """The log-log slope of an inverse response (green) between SHOULDER_CODES: about the
    gamma (1.8-2.6) for gamma and sRGB curves, 3.5-6 where the curve has a highlight
    shoulder, whose fitted scale the bracket shows least well. None is the gamma curve."""
    if response is None:
        return gamma
    low, high = (max(float(response[code, 1]), 1e-12) for code in SHOULDER_CODES)
    return math.log(high / low) / math.log(SHOULDER_CODES[1] / SHOULDER_CODES[0])


# ``shoulder_seen``: a bracket shows the shoulder when some frame has at least this share
# of its pixels with the brightest channel between SHOULDER_CODES; below it the fit's
# slope there is an extrapolation (dark scenes: gamma and sRGB fits reached 3.7-4.2 on
# tuning brackets, where S-curves all showed 2 % or more). At most SHOULDER_SAMPLES
# pixels (a regular subsample) are looked at.
SHOULDER_EVIDENCE = 0.01
SHOULDER_SAMPLES = 1 << 20


def shoulder_seen(frames: Sequence[np.ndarray]) -> bool:
    """Whether some frame shows the codes ``shoulder_slope`` measures (SHOULDER_EVIDENCE)."""
    low, high = (code / 255 for code in SHOULDER_CODES)
    for frame in frames:
        stride = subsample_stride(*frame.shape[:2], SHOULDER_SAMPLES)
        brightest = frame[::stride, ::stride].max(axis=2)
        inside = np.count_nonzero((brightest >= low) & (brightest < high))
        if inside >= SHOULDER_EVIDENCE * brightest.size:
            return True
    return False


def calibrate_response(
    frames: Sequence[np.ndarray], times: np.ndarray, gamma: float = 2.2
) -> np.ndarray:
    """Recover the camera response with OpenCV's Debevec calibration.

    Debevec's method fixes each channel's curve only up to a scale; it is scaled
    to agree with the gamma curve at mid grey, so both curves put radiance on
    the same scale. Frames are quantised to 8 bits, as the calibration needs.
    """
    codes = [to_uint8(frame) for frame in frames]
    calibrate = cv2.createCalibrateDebevec()
    curve = calibrate.process(codes, np.asarray(times, dtype=np.float32)).reshape(256, 3)
    anchor = gamma_response(gamma)[MID_GREY_CODE]
    return (curve / curve[MID_GREY_CODE] * anchor).astype(np.float32)


# Self-calibration from the bracket: log f^-1(I) = sum a_k (log I)^k, k = 1..DEGREE, so
# f^-1(1) = 1, fitted to pairs of pixels of differently exposed frames whose exposure
# ratio is known (in the spirit of Mitsunaga and Nayar, CVPR 1999, in the log domain,
# where a gamma curve is a straight line and residuals are relative errors).
DEGREE = 3
# pixels used: neither near black (noise, quantisation) nor near white (clipping)
FIT_RANGE = (0.08, 0.95)
FIT_SIZE = 96
CLIP_MARGIN = 0.04
MIN_PAIRS = 400
# slopes of log f^-1 against log I that a camera curve can have (a highlight shoulder
# makes the inverse steep near white)
SLOPE_RANGE = (0.7, 6.0)
# Tukey's biweight: 95 % efficiency constant, and the median absolute residual of a
# normal distribution in units of its standard deviation
TUKEY_C = 4.685
MAD_TO_SIGMA = 0.6745
# Where the bracket's pixel pairs reach codes of COVERED or more, the highlight shoulder is
# observed rather than extrapolated, and a flexible curve is fitted too: log f^-1
# piecewise linear in the code between knots from FIT_RANGE[0] to white, each knot's
# departure from the log-log line through its neighbours penalised by SMOOTHING (so thin
# data continue as a power law). The knots have the spacing of KNOTS even knots up to
# SHOULDER_START and crowd towards white above it (``_knots``), where a shoulder bends the
# curve hardest: with even spacing throughout the last segments could not follow an
# S-curve's shoulder, and that error carried down to every code as a scale error (tuning
# brackets: 0.55 stops on S-curves, 0.49 with the crowded knots). Pairs come from blocks
# where no channel of any pixel is within TOP_MARGIN of its clip level: next to a clipped
# channel the others are unreliable too. All chosen on tuning brackets cut from training
# images (docs/results.md).
COVERED = 0.95
# Where the pairs stop short of COVERED (noise or JPEG put a clipped pixel in every block
# near white), only the cubic was tried, and it extrapolates a shoulder badly. Clipping
# shows the shoulder another way: in a longer frame j a share p of the pixels reaches
# ANCHOR_MARGIN below its channel's top, and in a shorter frame i the same share lies
# above a code z, so f^-1(z) t_j / t_i is the raw level of that code (Grossberg and
# Nayar's histogram matching, which needs no registration). Where the curve chosen
# without them misses these clip anchors by ANCHOR_TOLERANCE or more (median, in stops)
# and explains the pairs within CONSISTENT_PAIRS (frames that moved and were not aligned
# give pairs that a flexible curve would follow astray), the flexible curve is tried
# too, fitted to the pairs and the anchors (together weighted as ANCHOR_SHARE of the
# pairs); where the chosen curve meets the anchors, the smoother cubic stays. The
# margin keeps the code under JPEG's ringing around clipped areas, half a code off a whole
# code (the edge between two 8-bit codes); shares under MIN_CLIPPED are too few to
# measure; the histograms use at most ANCHOR_SAMPLES pixels. Anchors in every fit made the
# flow graphs worse on tuning brackets (a tenth of the anchors of moving scenes are off by
# more than 0.3 stops, more after optical flow), and trying the flexible curve on every
# bracket whose pairs stop short bent gamma and sRGB curves near white (docs/results.md).
ANCHOR_MARGIN = 11.5 / 255
ANCHOR_SHARE = 0.1
ANCHOR_TOLERANCE = 0.1
CONSISTENT_PAIRS = 0.3
MIN_CLIPPED = 0.005
ANCHOR_SAMPLES = 2**18
KNOTS = 25
SHOULDER_START = 0.7
SMOOTHING = 0.2
TOP_MARGIN = 2 / 255

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]
_NO_ANCHORS: Pairs = (np.zeros(0), np.zeros(0), np.zeros(0))


@dataclass(frozen=True)
class FittedResponse:
    """A response fitted from a bracket: the table (256, 3), or None when the gamma
    curve explains the bracket as well, and a one-line account of the choice."""

    table: np.ndarray | None
    note: str


def fit_response(
    frames: Sequence[np.ndarray], times: np.ndarray, gamma: float = 2.2
) -> FittedResponse:
    """The camera's inverse response from the bracket itself, robust to motion.

    Every pair of frames (i, j) gives, per pixel and channel both well exposed,
    log f^-1(I_j) - log f^-1(I_i) = log(t_j / t_i): linear in the curve's
    coefficients. Pixels that moved are rejected by iteratively reweighted least
    squares (Tukey weights). Two curves are fitted: a cubic in log-log, which
    extrapolates safely, and, where the pairs reach white (COVERED) or the clip
    anchors show a shoulder the cubic misses, a flexible curve that follows the
    highlight shoulder of camera JPEG engines. Each, and the
    ``gamma`` curve, is judged by its median residual on the same pairs (from blocks
    clear of clipping); the lowest wins, so the gamma curve is kept (table None)
    when neither fit explains the bracket better: a noisy bracket is not refused a
    fit for being noisy, nor a bracket of unrelated frames given one. One curve
    serves all three channels, as camera tone curves do.
    """
    # a channel may clip below white (white balance after a raw clip): stay under its top
    tops = _channel_tops(frames)
    judged = _clear_block_pairs(frames, times, tops)
    cubic, cubic_pairs = _fit_cubic(frames, times, tops)
    if judged[0].size < MIN_PAIRS:
        judged = cubic_pairs
    if judged[0].size < MIN_PAIRS:
        return FittedResponse(None, f"only {judged[0].size} well-exposed pixel pairs: gamma used")
    gamma_residual = _residual(gamma_response(gamma), judged)
    residuals = {"cubic": _residual(cubic, judged)} if cubic is not None else {}
    flexible = None
    if max(judged[0].max(), judged[1].max()) >= COVERED:
        flexible = _fit_flexible(judged, _NO_ANCHORS)
    else:
        # the clip anchors are the only evidence near white: the flexible curve is tried
        # only where the curve chosen without it misses them
        anchors = _clip_anchors(frames, times, tops)
        without, without_residual = gamma_response(gamma), gamma_residual
        if residuals and residuals["cubic"] < gamma_residual:
            without, without_residual = cubic, residuals["cubic"]
        if (
            anchors[0].size
            and without_residual < CONSISTENT_PAIRS
            and _residual(without, anchors) >= ANCHOR_TOLERANCE
        ):
            flexible = _fit_flexible(judged, anchors)
    candidates = {"cubic": cubic, "flexible": flexible}
    if flexible is not None:
        residuals["flexible"] = _residual(flexible, judged)
    account = ", ".join(f"{name} {value:.2f}" for name, value in residuals.items())
    account = f"{account + ', ' if account else ''}gamma {gamma:g} {gamma_residual:.2f} stops"
    best = min(residuals, key=residuals.__getitem__, default=None)
    if best is None or residuals[best] >= gamma_residual:
        return FittedResponse(
            None, f"no fitted curve beats the gamma curve ({account}): gamma used"
        )
    note = f"{best} response fitted from {judged[0].size} pixel pairs (residual: {account})"
    return FittedResponse(candidates[best], note)


def _fit_cubic(
    frames: Sequence[np.ndarray], times: np.ndarray, tops: np.ndarray
) -> tuple[np.ndarray | None, Pairs]:
    """The log-log cubic (see DEGREE) and the pairs it was fitted to, from the frames
    reduced by area to about FIT_SIZE. None where the pairs are too few or its slope
    leaves SLOPE_RANGE. Below the darkest fitted code it goes on as a power law."""
    small = [_reduce(frame) for frame in frames]
    low, high = FIT_RANGE
    high = np.minimum(high, tops - CLIP_MARGIN)
    pairs = _pairs(small, [(f > low) & (f < high) for f in small], times)
    short, long_, log_ratio = pairs
    if short.size < MIN_PAIRS:
        return None, pairs
    powers = np.arange(1, DEGREE + 1)
    rows = np.log(long_)[:, None] ** powers - np.log(short)[:, None] ** powers
    solution = _robust_solve(rows, log_ratio)
    darkest = math.log(max(float(min(short.min(), long_.min())), low))
    grid = np.linspace(darkest, 0.0, 200)
    slopes = (powers * grid[:, None] ** (powers - 1)) @ solution
    if slopes.min() < SLOPE_RANGE[0] or slopes.max() > SLOPE_RANGE[1]:
        return None, pairs
    codes = np.log(np.maximum(np.arange(256) / 255.0, 1e-6))
    inside = np.maximum(codes, darkest)
    log_curve = (inside[:, None] ** powers) @ solution + slopes[0] * (codes - inside)
    return _table(np.exp(log_curve)), pairs


def _fit_flexible(pairs: Pairs, anchors: Pairs) -> np.ndarray | None:
    """The flexible curve (see COVERED) fitted to the pairs, joined by the clip anchors if
    any are given; None where the pairs are too few, stay below COVERED with no anchors,
    or give a curve that does not rise with the code."""
    short, long_, log_ratio = pairs
    if short.size < MIN_PAIRS:
        return None
    if anchors[0].size:
        repeats = max(1, round(ANCHOR_SHARE * short.size / anchors[0].size))
        short, long_, log_ratio = (
            np.concatenate([mine, np.repeat(theirs, repeats)])
            for mine, theirs in zip((short, long_, log_ratio), anchors, strict=True)
        )
    elif max(short.max(), long_.max()) < COVERED:
        return None
    low = FIT_RANGE[0]
    knots = _knots(low)
    rows = _hats(long_, knots) - _hats(short, knots)
    log_knots = np.log(knots)
    left, right = np.diff(log_knots)[:-1], np.diff(log_knots)[1:]
    penalty = np.zeros((len(knots) - 2, len(knots)))
    for k in range(len(knots) - 2):
        penalty[k, k : k + 3] = (right[k], -(left[k] + right[k]), left[k])
        penalty[k] /= left[k] + right[k]
    scale = (
        SMOOTHING
        * math.sqrt(short.size / len(knots))
        * (len(knots) - 1)
        / (log_knots[-1] - log_knots[0])
    )
    solution = _robust_solve(rows, log_ratio, penalty[:, :-1] * scale)
    at_knots = np.append(solution, 0.0)  # f^-1(1) = 1
    codes = np.arange(256) / 255.0
    log_curve = np.interp(np.maximum(codes, low), knots, at_knots)
    shadow_slope = (at_knots[1] - at_knots[0]) / (log_knots[1] - log_knots[0])
    below = codes < low
    log_curve[below] += shadow_slope * (np.log(np.maximum(codes[below], 1e-6)) - log_knots[0])
    if np.any(np.diff(log_curve[1:]) <= 0):
        return None
    return _table(np.exp(log_curve))


def _clip_anchors(frames: Sequence[np.ndarray], times: np.ndarray, tops: np.ndarray) -> Pairs:
    """Clip anchors (see ANCHOR_MARGIN) of every pair of frames and channel, as pairs:
    (code in the shorter frame, the code near the top, log exposure ratio). Histograms
    of up to ANCHOR_SAMPLES pixels per frame: a share of the picture needs no more."""
    order = np.argsort(times)
    stride = subsample_stride(*frames[0].shape[:2], ANCHOR_SAMPLES)
    histograms = [
        [
            np.unique(frames[index][::stride, ::stride, channel], return_counts=True)
            for channel in range(3)
        ]
        for index in order
    ]
    anchors = []
    for i, j in itertools.combinations(range(len(order)), 2):
        for channel in range(3):
            near_top = tops[channel] - ANCHOR_MARGIN
            values, counts = histograms[j][channel]
            clipped = float(counts[values >= near_top].sum() / counts.sum())
            if clipped < MIN_CLIPPED:
                continue
            code = _code_above(*histograms[i][channel], clipped)
            if FIT_RANGE[0] < code < near_top - TOP_MARGIN:
                anchors.append((code, near_top, math.log(times[order[j]] / times[order[i]])))
    short, long_, log_ratio = np.array(anchors, dtype=np.float64).reshape(-1, 3).T
    return short, long_, log_ratio


def _code_above(distinct: np.ndarray, counts: np.ndarray, share: float) -> float:
    """The value above which ``share`` of a histogram (increasing ``distinct`` values and
    their ``counts``) lies, each value spread evenly to halfway to its neighbours:
    quantised codes stand for intervals, and at a steep shoulder half a code is a large
    step in exposure."""
    if distinct.size == 1:
        return float(distinct[0])
    distinct = distinct.astype(np.float64)
    middles = (distinct[1:] + distinct[:-1]) / 2
    lower = np.concatenate([[distinct[0]], middles])
    upper = np.concatenate([middles, [distinct[-1]]])
    above_upper = np.concatenate([np.cumsum(counts[::-1])[::-1][1:], [0]])
    wanted = share * counts.sum()
    index = int(np.clip(np.searchsorted(-above_upper, -wanted, side="left"), 0, distinct.size - 1))
    inside = (wanted - above_upper[index]) / counts[index]
    return float(upper[index] - np.clip(inside, 0.0, 1.0) * (upper[index] - lower[index]))


def _knots(low: float) -> np.ndarray:
    """The flexible curve's knots from ``low`` to white: the even spacing of KNOTS knots
    up to SHOULDER_START, then twice as many per unit of code, crowding towards white."""
    step = (1.0 - low) / (KNOTS - 1)
    even = np.arange(low, SHOULDER_START - step / 2, step)
    count = round(2 * (1.0 - SHOULDER_START) / step) + 1
    crowded = 1.0 - (1.0 - SHOULDER_START) * (1.0 - np.linspace(0.0, 1.0, count)) ** 2
    return np.concatenate([even, crowded])


def _table(curve: np.ndarray) -> np.ndarray:
    """A (256, 3) float32 response table of one curve for all channels, 0 at code 0."""
    curve = curve.copy()
    curve[0] = 0.0
    return np.repeat(curve[:, None], 3, axis=1).astype(np.float32)


def _residual(table: np.ndarray, pairs: Pairs) -> float:
    """The median |log f^-1(long) - log f^-1(short) - log ratio| of a response table over
    the pairs, in stops: how well the curve explains the bracket."""
    short, long_, log_ratio = pairs
    codes = np.arange(256) / 255.0
    curve = np.maximum(table[:, 1].astype(np.float64), 1e-12)
    predicted = np.log(np.interp(long_, codes, curve)) - np.log(np.interp(short, codes, curve))
    return float(np.median(np.abs(predicted - log_ratio))) / math.log(2)


def _clear_block_pairs(frames: Sequence[np.ndarray], times: np.ndarray, tops: np.ndarray) -> Pairs:
    """Pairs of block means (``_blocks_clear_of_clipping``) above FIT_RANGE[0], from blocks
    where no channel of any pixel is within TOP_MARGIN of its clip level ``tops``."""
    blocks = [_blocks_clear_of_clipping(frame, tops - TOP_MARGIN) for frame in frames]
    low = FIT_RANGE[0]
    return _pairs([mean for mean, _ in blocks], [(m > low) & c for m, c in blocks], times)


def _channel_tops(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Per channel, the brightest code in the bracket (at most 1): where it clips."""
    return np.minimum(np.max([frame.reshape(-1, 3).max(axis=0) for frame in frames], axis=0), 1.0)


def _pairs(frames: Sequence[np.ndarray], usable: Sequence[np.ndarray], times: np.ndarray) -> Pairs:
    """For every pair of frames (i, j), the values usable in both: (value in i, value in j,
    log(t_j / t_i)), as flat float64 arrays."""
    dark, bright, ratios = [], [], []
    for i in range(len(frames)):
        for j in range(i + 1, len(frames)):
            both = usable[i] & usable[j]
            dark.append(frames[i][both])
            bright.append(frames[j][both])
            ratios.append(np.full(int(both.sum()), math.log(times[j] / times[i])))
    short, long_, log_ratio = (
        np.concatenate(part).astype(np.float64) for part in (dark, bright, ratios)
    )
    return short, long_, log_ratio


def _robust_solve(
    rows: np.ndarray, targets: np.ndarray, penalty: np.ndarray | None = None
) -> np.ndarray:
    """Least squares of rows @ x = targets, reweighted 8 times with Tukey's biweight so
    that pixels that moved drop out; ``penalty`` rows (@ x = 0) are appended unweighted.

    Each round solves the normal equations (a few unknowns against tens of thousands
    of pairs): the same minimiser as a least-squares solve of the weighted rows, at a
    fraction of the cost, which matters because every synthesised training example
    and every merged bracket fits its curve.
    """
    regulariser = penalty.T @ penalty if penalty is not None else 0.0
    weights = np.ones_like(targets)
    for _ in range(8):
        weighted = rows * (weights**2)[:, None]
        gram = weighted.T @ rows + regulariser
        solution, *_ = np.linalg.lstsq(gram, weighted.T @ targets, rcond=None)
        residual = np.abs(rows @ solution - targets)
        spread = max(float(np.median(residual)) * TUKEY_C / MAD_TO_SIGMA, 1e-3)
        weights = np.clip(1 - (residual / spread) ** 2, 0, None) ** 2
    return solution


def _hats(codes: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation weights of ``codes`` on the increasing ``knots``
    (the last knot, white, left out: its value is fixed at 0)."""
    index = np.clip(np.searchsorted(knots, codes, side="right") - 1, 0, len(knots) - 2)
    fraction = (codes - knots[index]) / (knots[index + 1] - knots[index])
    weights = np.zeros((codes.size, len(knots)))
    weights[np.arange(codes.size), index] = 1 - fraction
    weights[np.arange(codes.size), index + 1] = fraction
    return weights[:, :-1]


def _blocks_clear_of_clipping(
    frame: np.ndarray, near_clip: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The frame in blocks (longer side about FIT_SIZE): each block's mean, and whether no
    channel of any of its pixels reaches ``near_clip`` (per channel), as (h, w, 3) arrays."""
    height, width = frame.shape[:2]
    factor = max(1, math.ceil(max(height, width) / FIT_SIZE))
    rows, cols = height // factor, width // factor
    cropped = frame[: rows * factor, : cols * factor]
    near = (cropped >= near_clip).any(axis=2)
    mean = cropped.reshape(rows, factor, cols, factor, 3).mean(axis=(1, 3))
    clear = ~near.reshape(rows, factor, cols, factor).any(axis=(1, 3))
    return mean, np.repeat(clear[..., None], 3, axis=2)


def _reduce(frame: np.ndarray) -> np.ndarray:
    """The frame shrunk by area averaging so its longer side is about FIT_SIZE."""
    height, width = frame.shape[:2]
    factor = max(height, width) / FIT_SIZE
    if factor <= 1:
        return frame
    size = (max(round(width / factor), 1), max(round(height / factor), 1))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def canonical_frames(
    linear: Sequence[np.ndarray], times: np.ndarray, gamma: float = 2.2
) -> list[np.ndarray]:
    """Frames re-encoded as a gamma-``gamma`` camera would have recorded ``linear``:
    clip(H_i t_i)^(1 / gamma). AHDRNet sees every camera as the one it was trained on."""
    return [
        np.power(np.clip(h * np.float32(t), 0.0, 1.0), np.float32(1.0 / gamma)).astype(np.float32)
        for h, t in zip(linear, times, strict=True)
    ]


RESPONSES = ("gamma", "calibrated", "fitted")
# chosen by measurement on held-out brackets of mixed cameras (docs/results.md)
DEFAULT_RESPONSE = "fitted"


@dataclass(frozen=True)
class Linearised:
    """A bracket in the linear domain. ``linear``: H_i per frame; ``response``: the
    table used (None for the gamma curve); ``network_ldr``: the frames as the network
    sees them (the originals, or re-encoded with the gamma curve when a response
    table took them to linear); ``note``: which curve was used, and why."""

    linear: list[np.ndarray]
    response: np.ndarray | None
    network_ldr: list[np.ndarray]
    note: str


def linearise_bracket(
    frames: Sequence[np.ndarray],
    times: np.ndarray,
    response: str = DEFAULT_RESPONSE,
    gamma: float = 2.2,
) -> Linearised:
    """The one place a bracket is linearised, for the Linearise node and for training.

    ``gamma``: H = I^gamma / t. ``calibrated``: OpenCV's Debevec calibration.
    ``fitted``: fit_response, keeping the gamma curve where no fit explains the bracket
    better.
    """
    if response not in RESPONSES:
        raise ValueError(f"response {response!r}: choose one of {', '.join(RESPONSES)}")
    table, note = None, f"gamma {gamma:g} curve"
    if response == "calibrated":
        table, note = calibrate_response(frames, times, gamma), "response calibrated (Debevec)"
    elif response == "fitted":
        fitted = fit_response(frames, times, gamma)
        table, note = fitted.table, fitted.note
    if table is None:
        linear = [gamma_linearise(f, t, gamma) for f, t in zip(frames, times, strict=True)]
    else:
        linear = [response_linearise(f, t, table) for f, t in zip(frames, times, strict=True)]
    return Linearised(linear, table, network_frames(frames, linear, times, table, gamma), note)


def network_frames(
    frames: Sequence[np.ndarray],
    linear: Sequence[np.ndarray],
    times: np.ndarray,
    table: np.ndarray | None,
    gamma: float,
) -> list[np.ndarray]:
    """The frames as AHDRNet sees them: the originals when the gamma curve took them
    to linear, else re-encoded with it (``canonical_frames``). Elementwise, so it
    can be taken of any crop."""
    return list(frames) if table is None else canonical_frames(linear, times, gamma)


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """Float [0, 1] to 8-bit codes, rounded, for OpenCV functions that need them."""
    return np.rint(np.clip(frame, 0.0, 1.0) * 255).astype(np.uint8)
