#!/usr/bin/python3
"""Builds the map's glyphs: signed-distance-field glyph ranges in MapLibre's PBF format from
Debian's DejaVu Sans (fonts-dejavu-core), which covers Latin with its extensions (ə, ş, ğ, ı),
Armenian and Cyrillic, so that town labels and cluster counts are drawn by MapLibre itself,
offline, in every naming.

    apt-get install fonts-dejavu-core python3-freetype python3-protobuf python3-scipy
    /usr/bin/python3 data/scripts/build-glyphs.py            # writes web/fonts/

Each glyph is rendered at 4x the 24 px the format expects, its distance field computed
exactly on that raster (scipy's Euclidean distance transform) and sampled back at 24 px with
the format's 3 px border, radius 8 and cutoff 0.25 (the values MapLibre's own glyph tools
use). The PBF messages are built with Google's protobuf library from the glyphs.proto schema.
"""

import pathlib
import sys

import freetype
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from scipy.ndimage import distance_transform_edt

FONTS = {
    "DejaVu Sans Book": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "DejaVu Sans Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
# Basic Latin to Armenian, Latin Extended Additional, General Punctuation.
RANGES = [r * 256 for r in range(0, 6)] + [7680, 8192]
SIZE = 24
BUFFER = 3
RADIUS = 8
CUTOFF = 0.25
SCALE = 4
OUT = pathlib.Path(__file__).resolve().parents[2] / "web" / "fonts"


def glyph_classes():
    """The glyphs.proto messages (MapLibre's glyph PBF schema), built from a descriptor."""
    f = descriptor_pb2.FileDescriptorProto(name="glyphs.proto", package="llmr.glyphs", syntax="proto2")
    T = descriptor_pb2.FieldDescriptorProto
    req, opt, rep = T.LABEL_REQUIRED, T.LABEL_OPTIONAL, T.LABEL_REPEATED

    def message(name, fields):
        m = f.message_type.add(name=name)
        for number, (field, label, kind, type_name) in enumerate(fields, start=1):
            entry = m.field.add(name=field, number=number, label=label, type=kind)
            if type_name:
                entry.type_name = type_name

    message("glyph", [
        ("id", req, T.TYPE_UINT32, None),
        ("bitmap", opt, T.TYPE_BYTES, None),
        ("width", req, T.TYPE_UINT32, None),
        ("height", req, T.TYPE_UINT32, None),
        ("left", req, T.TYPE_SINT32, None),
        ("top", req, T.TYPE_SINT32, None),
        ("advance", req, T.TYPE_UINT32, None),
    ])
    message("fontstack", [
        ("name", req, T.TYPE_STRING, None),
        ("range", req, T.TYPE_STRING, None),
        ("glyphs", rep, T.TYPE_MESSAGE, ".llmr.glyphs.glyph"),
    ])
    message("glyphs", [("stacks", rep, T.TYPE_MESSAGE, ".llmr.glyphs.fontstack")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    get = message_factory.GetMessageClass if hasattr(message_factory, "GetMessageClass") else None
    classes = {}
    for name in ["glyph", "fontstack", "glyphs"]:
        descriptor = pool.FindMessageTypeByName(f"llmr.glyphs.{name}")
        classes[name] = get(descriptor) if get else message_factory.MessageFactory(pool).GetPrototype(descriptor)
    return classes


def render(face, code):
    """Metrics at 24 px and the 8-bit distance field, or None when the font lacks the glyph."""
    if face.get_char_index(code) == 0:
        return None
    face.set_pixel_sizes(0, SIZE)
    face.load_char(code, freetype.FT_LOAD_RENDER)
    g = face.glyph
    left, top, width, height = g.bitmap_left, g.bitmap_top, g.bitmap.width, g.bitmap.rows
    advance = round(g.advance.x / 64)
    if width == 0 or height == 0:
        return left, top, 0, 0, advance, b""
    face.set_pixel_sizes(0, SIZE * SCALE)
    face.load_char(code, freetype.FT_LOAD_RENDER)
    hi = face.glyph
    hw, hh = hi.bitmap.width, hi.bitmap.rows
    raster = np.array(hi.bitmap.buffer, dtype=np.uint8).reshape(hh, hi.bitmap.pitch)[:, :hw]
    # A canvas in 24 px cells, border included, at 4x: where the hi-res bitmap lands in it.
    cw, ch = (width + 2 * BUFFER) * SCALE, (height + 2 * BUFFER) * SCALE
    canvas = np.zeros((ch, cw), dtype=bool)
    ox = hi.bitmap_left - (left - BUFFER) * SCALE
    oy = (top + BUFFER) * SCALE - hi.bitmap_top
    ys, xs = np.nonzero(raster >= 128)
    ys, xs = ys + oy, xs + ox
    keep = (xs >= 0) & (xs < cw) & (ys >= 0) & (ys < ch)
    canvas[ys[keep], xs[keep]] = True
    outside = distance_transform_edt(~canvas)
    inside = distance_transform_edt(canvas)
    signed = (outside - inside) / SCALE  # px at 24 px, positive outside
    sample = signed[SCALE // 2::SCALE, SCALE // 2::SCALE][: height + 2 * BUFFER, : width + 2 * BUFFER]
    value = 255 - 255 * (sample / RADIUS + CUTOFF)
    return left, top, width, height, advance, np.clip(np.round(value), 0, 255).astype(np.uint8).tobytes()


def main():
    classes = glyph_classes()
    written = 0
    for stack, path in FONTS.items():
        if not pathlib.Path(path).exists():
            sys.exit(f"{path} not found: apt-get install fonts-dejavu-core")
        face = freetype.Face(path)
        face.set_pixel_sizes(0, SIZE)
        ascender = round(face.size.ascender / 64)
        folder = OUT / stack
        folder.mkdir(parents=True, exist_ok=True)
        for start in RANGES:
            end = start + 255
            message = classes["glyphs"]()
            fontstack = message.stacks.add(name=stack, range=f"{start}-{end}")
            for code in range(start, end + 1):
                rendered = render(face, code)
                if rendered is None:
                    continue
                left, top, width, height, advance, bitmap = rendered
                # MapLibre places a glyph's top relative to the font's ascender line.
                glyph = fontstack.glyphs.add(id=code, width=width, height=height,
                                             left=left, top=top - ascender, advance=advance)
                # An empty glyph (a space) carries no bitmap at all: MapLibre reads a present
                # but empty one as the wrong size.
                if bitmap:
                    glyph.bitmap = bitmap
            (folder / f"{start}-{end}.pbf").write_bytes(message.SerializeToString())
            written += 1
    print(f"wrote {written} glyph ranges to {OUT}")


if __name__ == "__main__":
    main()
