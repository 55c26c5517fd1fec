"""The architecture of one AHDRNet variant, as data.

One frozen record drives the modules, the receptive radius (for tiling) and the
metadata stored beside the weights, so a weights file says which network it fits.
The defaults are the paper's network; the other values are its ablations:
``attention=False`` is DRDB-Net, ``dilation=1`` is A-RDB-Net.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields

from ahdr_nodes import UserError, shown

# Headroom over the counted tensors for allocator slack and library workspace.
# Measured on CPU, tiles of 500 px and more peak at ~0.8 of the margined count;
# tiles under ~300 px pay a fixed overhead of some tens of MB on top.
MEMORY_MARGIN = 1.25


# The largest value of each size a config may hold: far above the paper's network
# (6, 64, 3, 6, 32, 2) and any ablation, low enough that a model built from a
# hostile weights file's metadata (on the meta device, to check the shapes) is
# built in well under a second, and that a dilation cannot pad a tile to gigabytes.
MAX_SIZES = {
    "in_channels": 64,
    "features": 1024,
    "n_blocks": 32,
    "n_layers": 32,
    "growth": 1024,
    "dilation": 32,
}


@dataclass(frozen=True)
class AHDRNetConfig:
    """Widths and depths of AHDRNet (Yan et al., CVPR 2019)."""

    in_channels: int = 6
    features: int = 64
    attention: bool = True
    n_blocks: int = 3
    n_layers: int = 6
    growth: int = 32
    dilation: int = 2

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "attention":
                if not isinstance(value, bool):
                    raise UserError(
                        f"AHDRNet config: attention must be true or false, got {shown(value)}"
                    )
            elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(
                    f"AHDRNet config: {item.name} must be a positive integer, got {shown(value)}"
                )
            elif value > MAX_SIZES[item.name]:
                raise UserError(
                    f"AHDRNet config: {item.name} must be at most {MAX_SIZES[item.name]}, "
                    f"got {shown(value)}"
                )

    @property
    def attention_radius(self) -> int:
        """Pixels of context the Attention side needs: encoder conv + two attention convs."""
        return 3 if self.attention else 1

    @property
    def merge_radius(self) -> int:
        """Pixels of context the Merge side needs.

        F0 conv (1) + every dilated DRDB layer (dilation each) + GFF 3x3, conv_up
        and the output conv (1 each); the 1x1 convs add nothing.
        """
        return 1 + self.n_blocks * self.n_layers * self.dilation + 3

    @property
    def receptive_radius(self) -> int:
        """Pixels of context the whole network needs: 43 for the paper's network."""
        return self.attention_radius + self.merge_radius

    @property
    def attention_peak_channels(self) -> int:
        """Values per pixel alive at the Attention side's peak, with margin (tile sizing).

        Counted on the eager forward (and matched by measuring RSS): 10 F with
        attention (features, the attention convs' intermediates, maps, output),
        6 F without.
        """
        return math.ceil(MEMORY_MARGIN * (10 if self.attention else 6) * self.features)

    @property
    def merge_peak_channels(self) -> int:
        """Values per pixel alive at the Merge side's peak, with margin (tile sizing).

        The peak is the last layer of the last DRDB: the earlier blocks' outputs
        (kept for global fusion), the growing dense tensor and its concatenated
        copy, plus one F of conv output: (n_blocks + 2) F + 2 n_layers growth
        (704 for the paper's network; its inputs not counted).
        """
        count = (self.n_blocks + 2) * self.features + 2 * self.n_layers * self.growth
        return math.ceil(MEMORY_MARGIN * count)

    @property
    def peak_channels(self) -> int:
        """Values per pixel alive at the monolithic model's peak, with margin (tile sizing).

        The Merge side runs while the attended features (3 F) are still held.
        """
        merge = self.merge_peak_channels + math.ceil(MEMORY_MARGIN * 3 * self.features)
        return max(self.attention_peak_channels, merge)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, origin: str) -> AHDRNetConfig:
        """Parse the config stored in a weights file; ``origin`` names that file in errors."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError(f"{origin}: unreadable AHDRNet config metadata ({error})") from None
        if not isinstance(values, dict):
            raise UserError(f"{origin}: AHDRNet config metadata is not a JSON object")
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(f"{origin}: unknown AHDRNet config field {unknown[0]!r}")
        try:
            return cls(**values)
        except UserError as error:
            raise UserError(f"{origin}: {error}") from None
