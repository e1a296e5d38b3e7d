"""The MNIST recipe on synthetic images: exact frames for simple shapes, the same frame whatever the encoding,
and one-line DataErrors for files that are not usable still images."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from edgedigits.errors import DataError
from edgedigits.preprocess import MAX_PIXELS, preprocess_array, preprocess_image


def png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header claims width x height but carries almost no pixel data (a decompression-bomb probe)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def rectangle_page() -> np.ndarray:
    """White 300x200 page with a black 100 (tall) x 50 (wide) rectangle, off-centre."""
    page = np.full((300, 200), 255, np.uint8)
    page[50:150, 70:120] = 0
    return page


def expected_rectangle_frame() -> np.ndarray:
    # Inverted, cropped to 100x50, scaled to 20x10 (still all ones); its centre of mass is at index (9.5, 4.5),
    # so the top-left corner is (floor(14 - 9.5), floor(14 - 4.5)) = (4, 9).
    frame = np.zeros((28, 28, 1), np.float32)
    frame[4:24, 9:19] = 1.0
    return frame


def test_rectangle_matches_hand_computed_frame(tmp_path):
    Image.fromarray(rectangle_page()).save(tmp_path / "rect.png")
    frame = preprocess_image(tmp_path / "rect.png")
    assert frame.shape == (28, 28, 1) and frame.dtype == np.float32
    np.testing.assert_allclose(frame, expected_rectangle_frame(), atol=1e-6)


@pytest.mark.parametrize("variant", ["inverted", "rgb_jpeg_quality100", "uint16", "rgba_dark", "rgba_light",
                                     "palette", "large_offcentre", "grayscale_alpha"])
def test_encodings_give_the_rectangle_frame(tmp_path, variant):
    page = rectangle_page()
    path = tmp_path / f"{variant}.png"
    if variant == "inverted":
        Image.fromarray(255 - page).save(path)
    elif variant == "rgb_jpeg_quality100":
        path = tmp_path / "rect.jpg"
        Image.fromarray(page).convert("RGB").save(path, quality=100)
    elif variant == "uint16":
        Image.fromarray(page.astype(np.uint16) * 257).save(path)
        assert Image.open(path).mode.startswith("I")
    elif variant in ("rgba_dark", "rgba_light"):
        # Strokes drawn on a transparent canvas, in black or in white.
        rgba = np.zeros((*page.shape, 4), np.uint8)
        rgba[..., :3] = 0 if variant == "rgba_dark" else 255
        rgba[..., 3] = 255 - page
        Image.fromarray(rgba).save(path)
    elif variant == "palette":
        Image.fromarray(page).convert("P").save(path)
    elif variant == "large_offcentre":
        big = np.full((3000, 2400), 255, np.uint8)
        # 600 x 300, same aspect as the rectangle, in a corner; on multiples of 3 so step 3's box average by 3
        # (3000 px > WORK_SIDE) keeps sharp edges and the frame stays exact.
        big[2001:2601, 102:402] = 0
        Image.fromarray(big).save(path)
    elif variant == "grayscale_alpha":
        Image.fromarray(np.stack([page, np.full_like(page, 255)], axis=-1), mode=None).save(path)
    frame = preprocess_image(path)
    atol = 0.02 if variant == "rgb_jpeg_quality100" else 1e-5
    np.testing.assert_allclose(frame, expected_rectangle_frame(), atol=atol)


def test_mnist_digit_survives_upscale_invert_and_offset(mnist):
    digit = mnist.x_test[0]  # a 7, already in MNIST framing
    big = np.array(Image.fromarray(255 - digit).resize((560, 560), Image.Resampling.BICUBIC))
    page = np.full((1200, 900), 255, np.uint8)
    page[500:1060, 250:810] = big
    frame = preprocess_array(page)
    original = digit.astype(np.float32) / 255
    # Same digit, same framing: small differences only from resampling and a pixel of re-centring.
    assert np.abs(frame[:, :, 0] - original).mean() < 0.12
    assert abs(float(frame.sum()) - float(original.sum())) / float(original.sum()) < 0.25


def test_float_array_input_and_bad_arrays():
    page = rectangle_page().astype(np.float32) / 255
    np.testing.assert_allclose(preprocess_array(page), expected_rectangle_frame(), atol=1e-6)
    with pytest.raises(DataError, match="expected"):
        preprocess_array(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(DataError, match="no digit"):
        preprocess_array(np.full((40, 40), 200, np.uint8))


def _write_bad(tmp_path, kind: str):
    path = tmp_path / f"{kind}.png"
    if kind == "not_an_image":
        path.write_bytes(b"this is not an image\n")
    elif kind == "animated":
        path = tmp_path / "anim.gif"
        frames = [Image.fromarray(np.full((20, 20), value, np.uint8)) for value in (0, 255, 0)]
        frames[0].save(path, save_all=True, append_images=frames[1:])
    elif kind == "huge_bomb":
        png_header_only(path, 20_000, 20_000)
    elif kind == "huge_over_limit":
        side = int(MAX_PIXELS ** 0.5) + 100  # above our limit, below Pillow's own bomb limit
        png_header_only(path, side, side)
    elif kind == "zero_size":
        png_header_only(path, 0, 10)
    elif kind == "truncated":
        png_header_only(path, 100, 100)
    elif kind == "blank":
        Image.fromarray(np.full((30, 30), 255, np.uint8)).save(path)
    elif kind == "missing":
        path = tmp_path / "nowhere.png"
    return path


BAD_IMAGES = {"not_an_image": "not an image", "animated": "animated image with 3 frames",
              "huge_bomb": "too large", "huge_over_limit": "too large",
              # Pillow itself refuses a PNG header with a zero width, before our own size check runs.
              "zero_size": "not an image Pillow can read", "truncated": "cannot decode",
              "blank": "no digit found", "missing": "not found"}


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_bad_images_are_one_line_data_errors(tmp_path, kind):
    path = _write_bad(tmp_path, kind)
    with pytest.raises(DataError) as caught:
        preprocess_image(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert BAD_IMAGES[kind] in message


def test_zero_sized_image_that_pillow_opens_is_refused(tmp_path, monkeypatch):
    """Our own guard, for a decoder that accepts a zero-sized header (Pillow's PNG reader does not)."""
    path = tmp_path / "empty.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: Image.new("L", (0, 10)))
    with pytest.raises(DataError, match=r"image has zero size \(0x10\)$"):
        preprocess_image(path)
