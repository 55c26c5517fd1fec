"""The HDR plugin's nodes: load, align, linearise, AHDRNet, classical merges, blend, tonemap,
save."""

from ahdr_nodes.hdr.nodes.align import FlowAlign, HomographyAlign, MTBAlign, NoAlign
from ahdr_nodes.hdr.nodes.attention_sheet import VisualiseAttention
from ahdr_nodes.hdr.nodes.blend import MotionBlend
from ahdr_nodes.hdr.nodes.classical import DebevecMerge, MertensFusion, ReferenceOnly
from ahdr_nodes.hdr.nodes.linearise import Linearise
from ahdr_nodes.hdr.nodes.load import LoadBracket, LoadScene
from ahdr_nodes.hdr.nodes.network import Attention, Merge
from ahdr_nodes.hdr.nodes.save import SaveHDR, SaveImage
from ahdr_nodes.hdr.nodes.select import SelectFrames
from ahdr_nodes.hdr.nodes.tonemap import Tonemap

NODES = [
    LoadBracket,
    LoadScene,
    NoAlign,
    MTBAlign,
    HomographyAlign,
    FlowAlign,
    Linearise,
    SelectFrames,
    DebevecMerge,
    MertensFusion,
    ReferenceOnly,
    MotionBlend,
    Attention,
    Merge,
    VisualiseAttention,
    Tonemap,
    SaveHDR,
    SaveImage,
]

__all__ = [node.__name__ for node in NODES] + ["NODES"]
