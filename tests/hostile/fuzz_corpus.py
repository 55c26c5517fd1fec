"""The fuzz corpus: small valid files per reader, and a seeded mutator that breaks them.

Every case is a pure function of (reader, seed, index): a failure names those three
and ``fuzz_worker.py --keep`` writes the exact file again.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"

# Values that sit on edges of size fields, signs and counts.
_INTERESTING_INTS = [0, 1, 2, 7, 8, 127, 128, 255, 256, 4096, 32767, 32768, 65535, 65536]
_INTERESTING_INTS += [2**24, 2**31 - 1, 2**31, 2**32 - 1, 46341, 100000]
_INTERESTING_TOKENS = [
    "0", "-1", "1e309", "-1e309", ".nan", ".inf", "-.inf", "nan", "1e-320", "99999999999999999999",
    "~", "null", "yes", "no", "[]", "{}", "[", "]", "{", "}", ":", "- ", "&a", "*a", "!!str",
    "!!python/object/apply:os.system", "!!binary", "'", '"', "\\", "\t", "\x00", "\u202e",
    "../../etc/passwd", "/dev/zero", "x" * 5000, "é", "%", "|", ">", "#", ",", ";",
]  # fmt: skip


@dataclass(frozen=True)
class Format:
    """A reader's corpus: how to make the valid seed files, the suffix cases get.

    ``repair``: applied to most mutated cases, it mends what a format checks
    first (PNG chunk checksums), so that the mutations reach the parsers behind
    those checks. ``mutate``: a format's own mutator instead of the generic one.
    """

    suffix: str
    seeds: Callable[[], list[bytes]]
    text: bool = False
    repair: Callable[[bytes], bytes] | None = None
    mutate: Callable[[list[bytes], random.Random], bytes] | None = None


def _encode(suffix: str, image: np.ndarray, params: list[int] | None = None) -> bytes:
    ok, data = cv2.imencode(suffix, image, params or [])
    assert ok
    return data.tobytes()


def _pillow(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _pixels(height: int, width: int, channels: int, dtype: type = np.uint8) -> np.ndarray:
    rng = np.random.default_rng(height * 100 + width + channels)
    top = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    values = rng.uniform(0, top, (height, width, channels))
    return values.astype(dtype).squeeze()


def png_seeds() -> list[bytes]:
    gradient = Image.fromarray(_pixels(9, 13, 3)).convert("P")
    return [
        _encode(".png", _pixels(6, 8, 3)),
        _encode(".png", _pixels(5, 7, 3, np.uint16)),
        _encode(".png", _pixels(4, 9, 1)),
        _encode(".png", _pixels(7, 5, 4)),
        _pillow(gradient, "PNG"),
        _pillow(Image.fromarray(_pixels(8, 8, 3)), "PNG", interlace=1),
    ]


def _camera_exif() -> bytes:
    """What a camera records: orientation, and in the Exif IFD the exposure time,
    f-number, ISO and capture time that brackets are read and grouped by."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: orientation is applied on read
    exif[0x0110] = "fuzz camera"
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = 1 / 250  # ExposureTime
    sub[0x829D] = 2.8  # FNumber
    sub[0x8827] = 200  # ISO
    sub[0x9003] = "2026:11:27 09:00:00"  # DateTimeOriginal
    return exif.tobytes()


def jpeg_seeds() -> list[bytes]:
    photo = Image.fromarray(_pixels(16, 24, 3))
    return [
        _encode(".jpg", _pixels(16, 16, 3)),
        _encode(".jpg", _pixels(9, 17, 1)),
        _pillow(photo, "JPEG", progressive=True),
        _pillow(photo, "JPEG", exif=_camera_exif()),
    ]


def tiff_seeds() -> list[bytes]:
    rgb = Image.fromarray(_pixels(6, 8, 3))
    return [
        _encode(".tif", _pixels(6, 8, 3)),
        _encode(".tif", _pixels(5, 6, 3, np.uint16)),
        _encode(".tif", _pixels(4, 5, 3, np.float32)),
        _pillow(rgb, "TIFF", compression="tiff_lzw"),
        _pillow(rgb, "TIFF", compression="tiff_adobe_deflate"),
        _pillow(rgb, "TIFF", save_all=True, append_images=[rgb]),
        _pillow(rgb, "TIFF", exif=_camera_exif()),
    ]


def exr_seeds() -> list[bytes]:
    import OpenEXR

    seeds = []
    options = [("no", True), ("zip", False), ("piz", True), ("rle", False), ("b44", True)]
    options += [("pxr24", False), ("dwaa", True), ("zips", True)]
    for index, (compression, half) in enumerate(options):
        dtype = np.float16 if half else np.float32
        planes = {name: _pixels(5 + index, 7, 1, np.float32).astype(dtype) for name in "RGB"}
        codec = getattr(OpenEXR, f"{compression.upper()}_COMPRESSION")
        header = {"compression": codec, "type": OpenEXR.scanlineimage}
        seeds.append(_exr_bytes(header, planes))
    tiled = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.tiledimage}
    tiles = OpenEXR.TileDescription()
    tiles.xSize, tiles.ySize = 4, 4
    tiled["tiles"] = tiles
    seeds.append(_exr_bytes(tiled, {"Y": _pixels(9, 6, 1, np.float32)}))
    return seeds


def _exr_bytes(header: dict, planes: dict[str, np.ndarray]) -> bytes:
    import tempfile

    import OpenEXR

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.exr"
        with OpenEXR.File(header, planes) as exr:
            exr.write(str(path))
        return path.read_bytes()


def hdr_seeds() -> list[bytes]:
    rle = _encode(".hdr", _pixels(6, 40, 3, np.float32) * 50)  # RLE: 8 <= width < 32768
    flat = _encode(".hdr", _pixels(3, 5, 3, np.float32))  # too narrow for RLE
    header = b"#?RGBE\nEXPOSURE=2\nCOLORCORR=1 1 0.5\nFORMAT=32-bit_rle_rgbe\n\n+X 3 -Y 2\n"
    rotated = header + bytes(range(100, 124))
    return [rle, flat, rotated]


def graph_seeds() -> list[bytes]:
    return [path.read_bytes() for path in sorted(GRAPHS.glob("*.yaml"))]


def manifest_csv_seeds() -> list[bytes]:
    return [
        b"scene,frame,ev\na,f0.png,-2\na,f1.png,0\na,f2.png,2\nb,f0.png,-1\nb,f1.png,1\n",
        b"scene,frame,time\ns,x.jpg,0.01\ns,y.jpg,0.04\n",
    ]


def manifest_yaml_seeds() -> list[bytes]:
    return [
        b"scenes:\n  - name: s1\n    frames: [a.jpg, b.jpg, c.jpg]\n    ev: [-2, 0, 2]\n"
        b"  - {name: s2, frames: [d.tif, e.tif], times: [0.01, 0.1]}\n"
        b"  - {frames: [f.png, g.png], exposure_file: exp.txt}\n",
    ]


def exposure_seeds() -> list[bytes]:
    return [b"0\n1.5\n2.5\n", b"-2\n0\n2\n", b"0.0\n\n3.0\n6.0\n"]


def safetensors_seeds() -> list[bytes]:
    import tempfile

    from ahdr_nodes.hdr.model.config import AHDRNetConfig
    from ahdr_nodes.hdr.model.weights import random_weights, write_weights

    seeds = []
    for config in (AHDRNetConfig(4, 4, True, 1, 1, 2, 1), AHDRNetConfig(6, 3, False, 1, 2, 2, 2)):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "w.safetensors"
            write_weights(random_weights(config).tensors, config, path)
            seeds.append(path.read_bytes())
    return seeds


def repair_png(data: bytes) -> bytes:
    """Recompute every chunk's CRC, as a deliberate forger would."""
    out, at = bytearray(data[:8]), 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        end = at + 12 + length
        if end > len(data):
            break
        body = data[at + 4 : end - 4]
        out += data[at : at + 4] + body + zlib.crc32(body).to_bytes(4, "big")
        at = end
    return bytes(out + data[at:])


def mutate_safetensors(seeds: list[bytes], rng: random.Random) -> bytes:
    """Mutate the JSON header as text and the tensor bytes as bytes, then (mostly)
    give the header its true length, so that the mutations reach the parser."""
    seed = rng.choice(seeds)
    length = int.from_bytes(seed[:8], "little")
    header, body = bytearray(seed[8 : 8 + length]), bytearray(seed[8 + length :])
    if rng.random() < 0.6:
        header = bytearray(_mutate_json(json.loads(header), rng).encode())
    else:
        for _ in range(rng.randint(1, 3)):
            header = rng.choice(_TEXT_OPERATORS + _BYTE_OPERATORS)(header, rng, [bytes(header)])
    if rng.random() < 0.3:
        body = rng.choice(_BYTE_OPERATORS)(body, rng, [bytes(body)])
    prefix = len(header) if rng.random() < 0.9 else rng.choice(_INTERESTING_INTS)
    return prefix.to_bytes(8, "little") + bytes(header) + bytes(body)


_JSON_VALUES: list[object] = [0, -1, 1, 3, 2**31, 2**63, 10**6, 1e308, None, True, "F16"]
_JSON_VALUES += ["I64", "BOOL", "U8", [], [0], [2**40, 2**40], "x", {"a": 1}]


def _mutate_json(header: dict, rng: random.Random) -> str:
    """Change one to three values anywhere in the header, the stored config included."""
    metadata = header.get("__metadata__", {})
    config = json.loads(metadata.get("ahdrnet_config", "{}"))
    targets: list[tuple[object, object]] = [(config, key) for key in config]
    for name, entry in header.items():
        if isinstance(entry, dict) and name != "__metadata__":
            targets += [(entry, key) for key in entry]
            targets += [(entry[key], i) for key in ("shape", "data_offsets") for i in range(2)]
    for _ in range(rng.randint(1, 3)):
        container, key = rng.choice(targets)
        value = rng.choice([*_JSON_VALUES, rng.choice(_INTERESTING_INTS)])
        with contextlib.suppress(IndexError, TypeError):  # a shape that is no list any more
            container[key] = value  # type: ignore[index]
    if config:
        metadata["ahdrnet_config"] = json.dumps(config)
    return json.dumps(header)


FORMATS = {
    "png": Format(".png", png_seeds, repair=repair_png),
    "jpeg": Format(".jpg", jpeg_seeds),
    "tiff": Format(".tif", tiff_seeds),
    "exr": Format(".exr", exr_seeds),
    "hdr": Format(".hdr", hdr_seeds),
    "exposure": Format(".txt", exposure_seeds, text=True),
    "graph": Format(".yaml", graph_seeds, text=True),
    "manifest_csv": Format(".csv", manifest_csv_seeds, text=True),
    "manifest_yaml": Format(".yaml", manifest_yaml_seeds, text=True),
    "safetensors": Format(".safetensors", safetensors_seeds, mutate=mutate_safetensors),
}


def mutate(form: Format, seeds: list[bytes], rng: random.Random) -> bytes:
    """One to four mutations of a random seed (text formats also get token
    mutations), then, most of the time, the format's repair."""
    if form.mutate is not None:
        return form.mutate(seeds, rng)
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 4)):
        operators = _BYTE_OPERATORS + (_TEXT_OPERATORS * 3 if form.text else [])
        data = rng.choice(operators)(data, rng, seeds)
    if form.repair is not None and rng.random() < 0.7:
        return form.repair(bytes(data))
    return bytes(data)


def _offset(data: bytearray, rng: random.Random) -> int:
    """Mostly in the header (the first 64 bytes), where sizes and counts live."""
    if not data:
        return 0
    limit = len(data) if rng.random() < 0.4 else min(len(data), 64)
    return rng.randrange(limit)


def _flip_bits(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    for _ in range(rng.randint(1, 8)):
        if data:
            data[_offset(data, rng)] ^= 1 << rng.randrange(8)
    return data


def _interesting_byte(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    if data:
        data[_offset(data, rng)] = rng.choice([0, 1, 0x7F, 0x80, 0xFE, 0xFF])
    return data


def _interesting_int(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    width = rng.choice([2, 4, 8])
    if len(data) < width:
        return data
    value = rng.choice(_INTERESTING_INTS) % (1 << (8 * width))
    at = min(_offset(data, rng), len(data) - width)
    data[at : at + width] = value.to_bytes(width, rng.choice(["little", "big"]))
    return data


def _truncate(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    return data[: rng.randrange(len(data) + 1)]


def _insert(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    at = rng.randrange(len(data) + 1)
    return data[:at] + bytearray(rng.randbytes(rng.randint(1, 64))) + data[at:]


def _delete(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[at + rng.randint(1, 64) :]


def _duplicate(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    at = rng.randrange(len(data) + 1)
    span = data[at : at + rng.randint(1, 256)]
    return data[:at] + span * rng.randint(2, 16) + data[at:]


def _splice(data: bytearray, rng: random.Random, seeds: list[bytes]) -> bytearray:
    other = rng.choice(seeds)
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


def _tokens(data: bytearray) -> list[str]:
    import re

    return re.findall(r"\w+|\s+|.", data.decode("utf-8", "replace"))


def _replace_token(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    tokens = _tokens(data)
    if tokens:
        tokens[rng.randrange(len(tokens))] = rng.choice(_INTERESTING_TOKENS)
    return bytearray("".join(tokens).encode())


def _swap_lines(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    lines = data.split(b"\n")
    operation = rng.choice(["duplicate", "delete", "swap", "indent"])
    at, other = rng.randrange(len(lines)), rng.randrange(len(lines))
    if operation == "duplicate":
        lines.insert(at, lines[other])
    elif operation == "delete":
        del lines[at]
    elif operation == "swap":
        lines[at], lines[other] = lines[other], lines[at]
    else:
        lines[at] = b" " * rng.randint(1, 8) + lines[at]
    return bytearray(b"\n".join(lines))


def _nest(data: bytearray, rng: random.Random, _: list[bytes]) -> bytearray:
    tokens = _tokens(data)
    if tokens:
        depth = rng.choice([2, 70, 5000])
        at = rng.randrange(len(tokens))
        tokens[at] = "[" * depth + tokens[at] + "]" * depth
    return bytearray("".join(tokens).encode())


_BYTE_OPERATORS = [_flip_bits, _interesting_byte, _interesting_int, _truncate, _insert]
_BYTE_OPERATORS += [_delete, _duplicate, _splice]
_TEXT_OPERATORS = [_replace_token, _swap_lines, _nest]
