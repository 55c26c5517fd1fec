"""SelectFrames: the three frames AHDRNet takes, out of a bracket of 3 to 9."""

from __future__ import annotations

from typing import Any

from ahdr_nodes import Input, Node, NodeContext, Output, UserError
from ahdr_nodes.hdr.types import LinearStack

NETWORK_FRAMES = 3


class SelectFrames(Node):
    """The reference frame and its nearest shorter and longer exposures.

    AHDRNet merges exactly three frames with the middle one as reference; most
    auto-bracketing cameras shoot five or more. The other frames still count where
    a graph merges the whole stack too (``ahdrnet_hybrid``: Debevec over all of
    them wherever nothing moved, which extends the range with the extreme
    exposures). The selection keeps the stack's exposure scale, so the network's
    result lands on the same scale as a merge of all frames. A 3-frame stack
    passes through unchanged.
    """

    stack = Input(LinearStack, "all frames, linearised")
    selected = Output(LinearStack, "three frames, the reference in the middle")

    def run(self, ctx: NodeContext, stack: LinearStack, **inputs: Any) -> dict[str, Any]:
        count, reference = len(stack.linear), stack.reference
        if count < NETWORK_FRAMES or not 0 < reference < count - 1:
            raise UserError(
                f"AHDRNet needs a frame shorter and one longer than the reference; the "
                f"bracket has {count} frames with the reference at position {reference + 1} "
                "(sorted by exposure): choose a middle frame as reference"
            )
        chosen = [reference - 1, reference, reference + 1]
        ctx.record("network_frames", chosen)
        if count == NETWORK_FRAMES:
            return {"selected": stack}
        times = ", ".join(f"{stack.times[i]:g}" for i in chosen)
        ctx.info(
            f"the network merges frames {', '.join(str(i + 1) for i in chosen)} of {count} "
            f"(relative times {times}); the others count where the graph merges all frames"
        )
        selected = LinearStack(
            ldr=[stack.ldr[i] for i in chosen],
            linear=[stack.linear[i] for i in chosen],
            times=stack.times[chosen],
            reference=1,
            gamma=stack.gamma,
            response=stack.response,
        )
        return {"selected": selected}
