# SPDX-License-Identifier: GPL-3.0-or-later
"""Materials of the FACS Head: node materials for EEVEE and Cycles whose viewport colours match,
so Workbench (solid colour or texture) reads the same face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import bpy
import numpy as np

from ..io.avatar_asset import AvatarAsset
from ..io.identity import Identity, linear_to_srgb, skin_factor, srgb_to_linear


@dataclass(frozen=True)
class Look:
    srgb: tuple[float, float, float]
    roughness: float
    subsurface: float = 0.0
    coat: float = 0.0


LOOKS: dict[str, Look] = {
    "skin": Look((0.86, 0.66, 0.55), 0.5, subsurface=0.2),
    "mouth": Look((0.45, 0.16, 0.16), 0.35),
    "sclera": Look((0.93, 0.91, 0.88), 0.2, coat=1.0),
    "iris": Look((0.36, 0.22, 0.12), 0.2, coat=1.0),
    "pupil": Look((0.02, 0.02, 0.02), 0.1, coat=1.0),
    "teeth": Look((0.92, 0.89, 0.80), 0.3),
    "tongue": Look((0.72, 0.36, 0.36), 0.4, subsurface=0.1),
    "lashes": Look((0.08, 0.06, 0.05), 0.6),
}
SKIN_SUBSURFACE_RADIUS = (1.0, 0.35, 0.2)
SKIN_SUBSURFACE_SCALE = 0.004
"""Metres: a few millimetres of scattering, as real skin at this head's scale."""


def assign(mesh: bpy.types.Object, asset: AvatarAsset, identity: Identity) -> None:
    """One new material per asset material, in the asset's slot order; skin gets the painted texture,
    tinted to the identity's ethnic mix (the default mix leaves it as painted)."""
    factor = skin_factor(identity)
    skin_image = _image(f"{mesh.name}_skin", asset.textures["skin"])
    looks = dict(LOOKS)
    if not np.allclose(factor, 1.0):
        _tint(skin_image, factor)
        skin = LOOKS["skin"]
        r, g, b = linear_to_srgb(srgb_to_linear(np.array(skin.srgb)) * factor).tolist()
        looks["skin"] = Look((r, g, b), skin.roughness, skin.subsurface, skin.coat)
    for name in asset.material_names:
        image = skin_image if name == "skin" else None
        cast(bpy.types.Mesh, mesh.data).materials.append(_material(f"{mesh.name}_{name}", looks[name], image))


def _tint(image: bpy.types.Image, factor: np.ndarray) -> None:
    """Multiply the painted skin by ``factor`` in linear light, in bulk, and pack the result so a
    saved .blend keeps it (Workbench shows the image itself, so the tint must be in its pixels)."""
    width, height = image.size
    pixels = np.empty(width * height * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)  # type: ignore[attr-defined]  # the stubs say float
    rgba = pixels.reshape(-1, 4)
    # A factor in linear light is close to its 1/2.2 power on sRGB values (at most 5/255 apart on
    # skin, 7/255 on the dark brows): one multiply in place, instead of converting 800,000 pixels
    # there and back, keeps a new identity well under half a second.
    rgba[:, :3] *= (factor ** (1 / 2.2)).astype(np.float32)
    np.minimum(rgba, 1.0, out=rgba)
    image.pixels.foreach_set(pixels)  # type: ignore[attr-defined]  # as above
    image.file_format = "JPEG"  # packed as the asset's texture is: smaller and faster to encode than PNG
    image.pack()


def _image(name: str, data: bytes) -> bpy.types.Image:
    """An image packed from the asset's encoded bytes, so a saved .blend carries it."""
    image = bpy.data.images.new(name, 8, 8)
    image.pack(data=data, data_len=len(data))
    image.source = "FILE"
    return image


def _material(name: str, look: Look, image: bpy.types.Image | None) -> bpy.types.Material:
    colour = srgb_to_linear(np.array(look.srgb)).tolist()  # material colours are linear; the table is sRGB
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = (*colour, 1.0)
    mat.roughness = look.roughness
    if mat.node_tree is None:  # Blender 4.x; 5.0 always gives materials a node tree
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
    inputs: Any = bsdf.inputs  # sockets by name; the stubs give them no default_value
    inputs["Base Color"].default_value = (*colour, 1.0)
    inputs["Roughness"].default_value = look.roughness
    if look.subsurface:
        inputs["Subsurface Weight"].default_value = look.subsurface
        inputs["Subsurface Radius"].default_value = SKIN_SUBSURFACE_RADIUS
        inputs["Subsurface Scale"].default_value = SKIN_SUBSURFACE_SCALE
    if look.coat:
        inputs["Coat Weight"].default_value = look.coat
        inputs["Coat Roughness"].default_value = 0.03
    if image is not None:
        tex = cast(bpy.types.ShaderNodeTexImage, nodes.new("ShaderNodeTexImage"))
        tex.image = image
        tex.location = (bsdf.location.x - 320, bsdf.location.y)
        mat.node_tree.links.new(tex.outputs["Color"], inputs["Base Color"])
        nodes.active = tex  # Workbench's texture colour shows the active image node
    return mat
