"""Relative exposure times of a bracket, from whichever source the user gave.

Precedence (the first source given wins): explicit times in seconds, explicit
EV values (t = 2^EV), a Kalantari ``exposure.txt`` (one EV per line, in the
order of the frames), then the frames' EXIF. Every source is validated, and the
result is normalised so that the shortest exposure is 1.

From EXIF the relative exposure is ExposureTime * ISO / FNumber^2. FNumber and
ISO enter only when every frame records them; a factor known for some frames
only cannot be compared across the bracket, so it is left out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.io.exif import (
    EXPOSURE_TIME_TAG,
    F_NUMBER_TAG,
    ISO_TAG,
    ExifUnreadable,
    read_exif,
)

MAX_EXPOSURE_STOPS = 30
EXIF_ADVICE = (
    "these exposures come from the frames' EXIF, which some cameras write the same "
    "for every frame of a bracket; give them with --times (seconds) or --ev (stops)"
)


@dataclass(frozen=True)
class Exposures:
    """Relative exposure per frame (input order, shortest = 1) and where it came from."""

    times: np.ndarray
    source: str


def resolve_exposures(
    paths: Sequence[str | os.PathLike[str]],
    *,
    times: Sequence[float] | None = None,
    ev: Sequence[float] | None = None,
    exposure_file: str | os.PathLike[str] | None = None,
) -> Exposures:
    """The bracket's relative exposures from the highest-precedence source given.

    Raises UserError naming the value or file when a count does not match the
    frames, a value is zero, negative, NaN or infinite, two frames share an
    exposure, or no source gives an exposure for every frame.
    """
    frames = [Path(p) for p in paths]
    if times is not None:
        seconds = _checked_values(times, "exposure time", frames)
        _require_positive(seconds, "exposure time", frames)
        return Exposures(normalise(seconds, frames), "times")
    if ev is not None:
        stops = _checked_values(ev, "EV value", frames)
        return Exposures(normalise(_ev_to_times(stops), frames), "ev")
    if exposure_file is not None:
        stops = read_exposure_file(exposure_file)
        if len(stops) != len(frames):
            raise UserError(f"{exposure_file}: {len(stops)} EV values for {len(frames)} frames")
        return Exposures(normalise(_ev_to_times(stops), frames), "exposure_file")
    return Exposures(normalise(exif_exposures(frames), frames, advice=EXIF_ADVICE), "exif")


def read_exposure_file(path: str | os.PathLike[str]) -> list[float]:
    """EV values from a Kalantari ``exposure.txt``: one number per non-blank line."""
    source = Path(path)
    try:
        lines = source.read_text().splitlines()
    except FileNotFoundError:
        raise UserError(f"{source}: exposure file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{source}: cannot read exposure file ({error})") from None
    stops = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = float(line)
        except ValueError:
            raise UserError(f"{source}:{number}: {line.strip()!r} is not an EV value") from None
        if not math.isfinite(value):
            raise UserError(f"{source}:{number}: EV value {line.strip()} is not finite")
        stops.append(value)
    return stops


def exif_exposures(frames: Sequence[Path]) -> np.ndarray:
    """ExposureTime * ISO / FNumber^2 per frame, from EXIF (not yet normalised)."""
    records = [_exif_record(frame) for frame in frames]
    relative = []
    for frame, record in zip(frames, records, strict=True):
        seconds = record.get(EXPOSURE_TIME_TAG)
        if seconds is None:
            raise UserError(
                f"{frame}: EXIF has no ExposureTime; give times, ev or exposure_file instead"
            )
        if not (math.isfinite(seconds) and seconds > 0):
            raise UserError(f"{frame}: EXIF ExposureTime {seconds} is not a positive number")
        relative.append(seconds)
    result = np.array(relative, dtype=np.float64)
    for tag, name, power in ((ISO_TAG, "ISO", 1), (F_NUMBER_TAG, "FNumber", -2)):
        factors = [record.get(tag) for record in records]
        if any(factor is None for factor in factors):
            continue
        for frame, factor in zip(frames, factors, strict=True):
            if not (math.isfinite(factor) and factor > 0):
                raise UserError(f"{frame}: EXIF {name} {factor} is not a positive number")
        result *= np.array(factors, dtype=np.float64) ** power
    return result


def normalise(
    times: np.ndarray,
    frames: Sequence[Path],
    *,
    advice: str = "a bracket needs distinct exposures",
) -> np.ndarray:
    """Scale so the shortest exposure is 1; refuse two frames with the same exposure,
    and a bracket spanning more than MAX_EXPOSURE_STOPS (no camera does; beyond
    it the times underflow or overflow and the merge is all zeros or NaN).

    ``advice`` ends the refusal: what the user can do depends on where the
    exposures came from.
    """
    times = np.asarray(times, dtype=np.float64)
    shortest, longest = int(np.argmin(times)), int(np.argmax(times))
    if not times[shortest] * 2.0**MAX_EXPOSURE_STOPS >= times[longest] > 0:
        raise UserError(
            f"exposures of {_name(frames, shortest)} and {_name(frames, longest)} are more "
            f"than {MAX_EXPOSURE_STOPS} stops apart"
        )
    relative = times / times[shortest]
    order = np.argsort(relative, kind="stable")
    for first, second in zip(order[:-1], order[1:], strict=True):
        if math.isclose(relative[first], relative[second], rel_tol=1e-6):
            raise UserError(
                f"duplicate exposure {relative[first]:g} for {_name(frames, first)} "
                f"and {_name(frames, second)}; {advice}"
            )
    return relative


def _checked_values(values: Sequence[float], what: str, frames: Sequence[Path]) -> np.ndarray:
    array = np.array([float(v) for v in values], dtype=np.float64)
    _check_count(array, frames, what)
    for index, value in enumerate(array):
        if not math.isfinite(value):
            raise UserError(f"{what} {value} for {_name(frames, index)} is not finite")
    return array


def _require_positive(values: np.ndarray, what: str, frames: Sequence[Path]) -> None:
    for index, value in enumerate(values):
        if value <= 0:
            raise UserError(f"{what} {value:g} for {_name(frames, index)} is not positive")


def _check_count(values: Sequence[float], frames: Sequence[Path], what: str) -> None:
    if len(values) != len(frames):
        raise UserError(f"{len(values)} {what}s given for {len(frames)} frames")


def _ev_to_times(stops: Sequence[float]) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):  # normalise refuses the extremes
        return np.exp2(np.asarray(stops, dtype=np.float64))


def _exif_record(frame: Path) -> dict[int, float]:
    """ExposureTime, FNumber and ISO of one frame, whichever are recorded."""
    try:
        tags = read_exif(frame)
    except FileNotFoundError:
        raise UserError(f"{frame}: file not found") from None
    except ExifUnreadable:
        raise UserError(f"{frame}: cannot read EXIF (not a readable image)") from None
    record = {}
    for tag in (EXPOSURE_TIME_TAG, F_NUMBER_TAG, ISO_TAG):
        value = tags.get(tag)
        if isinstance(value, (tuple, list)):
            value = value[0] if value else None
        if value is not None:
            try:
                record[tag] = float(value)
            except (TypeError, ValueError, ZeroDivisionError):
                raise UserError(
                    f"{frame}: EXIF tag {tag:#06x} value {value!r} is not a number"
                ) from None
    return record


def _name(frames: Sequence[Path], index: int) -> str:
    return str(frames[index]) if index < len(frames) else f"frame {index}"
