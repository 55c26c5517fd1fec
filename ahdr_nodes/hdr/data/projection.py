"""Perspective views of equirectangular panoramas (gnomonic projection).

A panorama covers 360 x 180 degrees; a crop of it shows bent lines and the poles
stretched. Rendering a pinhole view instead gives the geometry a photograph has,
so examples cut from panoramas look like real brackets.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def is_equirectangular(image: np.ndarray) -> bool:
    """A 2:1 image is taken to be a full 360 x 180 degree panorama."""
    height, width = image.shape[:2]
    return width == 2 * height


def equirect_to_perspective(
    panorama: np.ndarray,
    size: tuple[int, int],
    *,
    yaw: float,
    pitch: float,
    fov: float,
    roll: float = 0.0,
) -> np.ndarray:
    """Render a pinhole view of ``size`` = (height, width) from an HxWxC panorama.

    Angles are in radians: ``yaw`` turns right (longitude of the view's centre),
    ``pitch`` looks up (its latitude), ``roll`` turns the camera about its viewing
    axis, ``fov`` is the horizontal field of view. Panorama column 0 is longitude -pi, its
    centre column longitude 0, its top row latitude +pi/2. Bilinear sampling,
    wrapping around in longitude.
    """
    height, width = size
    focal = (width / 2) / math.tan(fov / 2)
    xs = (np.arange(width, dtype=np.float32) - (width - 1) / 2) / focal
    ys = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / focal
    right, up = np.meshgrid(xs, -ys)
    # camera ray (right, up, 1) in world axes (x right, y up, z forward); written out
    # rather than as a matmul, which would start BLAS threads in every data worker
    world_x, world_y, world_z = (
        np.float32(row[0]) * right + np.float32(row[1]) * up + np.float32(row[2])
        for row in _view_rotation(yaw, pitch, roll)
    )
    longitude = np.arctan2(world_x, world_z)
    latitude = np.arctan2(world_y, np.hypot(world_x, world_z))

    pano_height, pano_width = panorama.shape[:2]
    cols = (longitude / (2 * math.pi) + 0.5) * pano_width - 0.5
    rows = (0.5 - latitude / math.pi) * pano_height - 0.5
    cols = np.mod(cols, pano_width).astype(np.float32)
    # one wrapped column on the right lets bilinear sampling cross the seam
    wrapped = np.concatenate([panorama, panorama[:, :1]], axis=1)
    return cv2.remap(
        wrapped,
        cols,
        rows.astype(np.float32),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _view_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Camera-to-world rotation: roll about z, then pitch about x, then yaw about y."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    yaw_matrix = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    pitch_matrix = np.array([[1, 0, 0], [0, cp, sp], [0, -sp, cp]])
    roll_matrix = np.array([[cr, sr, 0], [-sr, cr, 0], [0, 0, 1]])
    return yaw_matrix @ pitch_matrix @ roll_matrix
