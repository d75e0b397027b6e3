"""The village's demo media: equirectangular images (2:1) drawn from each scene's neighbourhood name,
colours and stands, so that the 360° viewer has something honest to show before real photos exist, and for
the scenes marked `demo_video: true` a short equirectangular video (MP4, H.264, looping) of the same picture
with passers-by and birds moving around the viewer. Each says "DÉMO" on its walls. `sixtcap village
demo-media` redraws them; the web app draws a missing one when it is first asked for. Real media are files
of data/village/media/ named in data/village.yml (see README)."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import yaml
from PIL import Image, ImageDraw

from bot.fonts import font
from bot.village import Hotspot, Scene, Village, short_name

WIDTH, HEIGHT = 4096, 2048
HORIZON = HEIGHT // 2
# The demo video: half the picture's size (what phones decode), a seamless loop of a few seconds.
VIDEO_WIDTH, VIDEO_HEIGHT = 2048, 1024
VIDEO_FPS, VIDEO_SECONDS = 20, 6
_drawing = threading.Lock()  # one process draws a demo video at a time (a few seconds of work)


def media_dirs(data_dir: Path, var_dir: Path) -> tuple[Path, Path]:
    """Where real media are dropped (versioned), and where the demo ones are drawn (not versioned)."""
    return data_dir / "village" / "media", var_dir / "village"


def partner_labels(catalogue_dir: Path) -> dict[str, str]:
    """Short names of the partners for the stands' signs: the catalogue's `nom` up to a bracket or dash."""
    labels = {}
    for path in sorted(catalogue_dir.glob("*.yml")):
        partner = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("partner") or {}
        if "id" in partner and "nom" in partner:
            labels[str(partner["id"])] = short_name(str(partner["nom"]))
    return labels


def _x(yaw: float) -> int:
    return int((yaw + 180) % 360 / 360 * WIDTH)


def _y(pitch: float) -> int:
    return int((90 - pitch) / 180 * HEIGHT)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _sky_and_ground(draw: ImageDraw.ImageDraw, scene: Scene) -> None:
    sky = _rgb(scene.colours.sky)
    for y in range(HORIZON):
        shade = 0.65 + 0.35 * y / HORIZON
        draw.line([(0, y), (WIDTH, y)], fill=tuple(min(255, int(c * shade + 60 * (1 - shade))) for c in sky))
    draw.rectangle([0, HORIZON, WIDTH, HEIGHT], fill=scene.colours.ground)
    for x in range(0, WIDTH, 128):  # paving, so that turning around is visible
        draw.line(
            [(x, HORIZON + 200), (WIDTH // 2 + (x - WIDTH // 2) * 3, HEIGHT)], fill="#00000022", width=3
        )


def _buildings(draw: ImageDraw.ImageDraw, scene: Scene, rng: random.Random) -> None:
    x = 0
    while x < WIDTH:
        width, height = rng.randint(180, 340), rng.randint(260, 620)
        colour = rng.choice(scene.colours.walls)
        draw.rectangle([x, HORIZON - height, x + width, HORIZON + 140], fill=colour)
        for wy in range(HORIZON - height + 30, HORIZON + 60, 70):
            for wx in range(x + 24, x + width - 40, 56):
                draw.rectangle(
                    [wx, wy, wx + 28, wy + 38], fill="#fdf6e3" if rng.random() < 0.4 else "#2b2d42"
                )
        x += width + rng.randint(0, 40)


def _stand(draw: ImageDraw.ImageDraw, spot: Hotspot, label: str, colour: str) -> None:
    cx, top = _x(spot.yaw), _y(spot.pitch) - 60
    draw.rectangle([cx - 190, top, cx + 190, top + 280], fill="#ffffff", outline=colour, width=12)
    draw.polygon([(cx - 220, top), (cx, top - 100), (cx + 220, top)], fill=colour)
    for i, line in enumerate(_wrap(label, 14)[:5]):
        draw.text((cx, top + 50 + i * 46), line, fill="#1b1b1b", font=font(36), anchor="mm")


def _signpost(draw: ImageDraw.ImageDraw, spot: Hotspot, label: str) -> None:
    cx, cy = _x(spot.yaw), _y(spot.pitch)
    draw.rectangle([cx - 8, cy - 40, cx + 8, cy + 220], fill="#3b3b3b")
    half = draw.textlength("→ " + label, font=font(38)) / 2 + 30
    draw.rectangle([cx - half, cy - 110, cx + half, cy - 30], fill="#0b5f73")
    draw.text((cx, cy - 70), "→ " + label, fill="#ffffff", font=font(38), anchor="mm")


def draw_panorama(scene: Scene, village: Village, labels: dict[str, str]) -> Image.Image:
    """One equirectangular picture of the scene; the same scene always gives the same picture."""
    rng = random.Random(scene.id)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image, "RGBA")
    _sky_and_ground(draw, scene)
    _buildings(draw, scene, rng)
    for yaw in (0, 180):  # the name ahead and behind, the demo mark on every side
        draw.text(
            (_x(yaw), HORIZON - 760),
            scene.title,
            fill="#ffffff",
            font=font(150),
            anchor="mm",
            stroke_width=8,
            stroke_fill="#1b1b1b",
        )
    for yaw in (-90, 90):
        draw.text(
            (_x(yaw), HORIZON - 760),
            "DÉMO",
            fill="#fff3cd",
            font=font(150),
            anchor="mm",
            stroke_width=8,
            stroke_fill="#5c4400",
        )
    for i, spot in enumerate(scene.stands):
        _stand(
            draw,
            spot,
            labels.get(spot.target, spot.target),
            scene.colours.walls[i % len(scene.colours.walls)],
        )
    for spot in scene.links:
        linked = village.scene(spot.target)
        _signpost(draw, spot, linked.title if linked else spot.target)
    # the poles of an equirectangular image are stretched: a plain sky and ground there
    draw.rectangle([0, 0, WIDTH, int(HEIGHT * 0.06)], fill=scene.colours.sky)
    draw.ellipse([WIDTH // 2 - 300, HEIGHT - 60, WIDTH // 2 + 300, HEIGHT + 60], fill="#00000033")
    return image


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def demo_panorama(
    scene: Scene, village: Village, data_dir: Path, var_dir: Path, redraw: bool = False
) -> Path:
    """The scene's demo picture in var/village/, drawn first if missing. Several server processes may draw
    it at once: each writes its own file, then renames it into place (never a half-written picture)."""
    target = media_dirs(data_dir, var_dir)[1] / scene.panorama_file
    if redraw or not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        draw_panorama(scene, village, partner_labels(data_dir / "catalogue")).save(
            partial, "JPEG", quality=82
        )
        partial.replace(target)
    return target


def _passer_by(draw: ImageDraw.ImageDraw, x: float, y: int, colour: str, step: int) -> None:
    """A person seen from afar, at the video's scale: head, body, legs apart or together."""
    for dx in (-VIDEO_WIDTH, 0, VIDEO_WIDTH):  # across the picture's seam
        cx = int(x) + dx
        draw.ellipse([cx - 7, y - 58, cx + 7, y - 44], fill="#3b2a20")
        draw.rounded_rectangle([cx - 9, y - 44, cx + 9, y - 14], radius=5, fill=colour)
        spread = 7 if step % 2 else 2
        draw.line([(cx - 3, y - 15), (cx - 3 - spread, y)], fill="#1b1b1b", width=5)
        draw.line([(cx + 3, y - 15), (cx + 3 + spread, y)], fill="#1b1b1b", width=5)


def _bird(draw: ImageDraw.ImageDraw, x: float, y: float, up: bool) -> None:
    for dx in (-VIDEO_WIDTH, 0, VIDEO_WIDTH):
        cx, cy = int(x) + dx, int(y)
        wing = -8 if up else 6
        draw.line([(cx - 14, cy + wing), (cx, cy), (cx + 14, cy + wing)], fill="#1b1b1b", width=3)


def video_frames(still: Image.Image, scene: Scene) -> Iterator[Image.Image]:
    """The frames of the demo video: the still picture with people walking in front of the stands and birds
    crossing the sky. Everything moves by whole periods over the video, so that it loops without a jump."""
    base = still.convert("RGB").resize((VIDEO_WIDTH, VIDEO_HEIGHT), Image.Resampling.LANCZOS)
    rng = random.Random(scene.id + "/video")
    count = VIDEO_FPS * VIDEO_SECONDS
    walkers = [
        (rng.uniform(0, VIDEO_WIDTH), rng.choice((-1, 1)) * rng.choice((1, 2)),
         int(VIDEO_HEIGHT * rng.uniform(0.63, 0.70)), rng.choice(scene.colours.walls))
        for _ in range(24)
    ]  # fmt: skip
    birds = [
        (rng.uniform(0, VIDEO_WIDTH), VIDEO_HEIGHT * rng.uniform(0.36, 0.42), rng.random()) for _ in range(9)
    ]
    for frame in range(count):
        t = frame / count  # 0 → 1 over the loop
        image = base.copy()
        draw = ImageDraw.Draw(image)
        # sorted by height: the nearer (lower) ones in front
        for x, laps, y, colour in sorted(walkers, key=lambda w: w[2]):
            _passer_by(draw, (x + laps * t * VIDEO_WIDTH / 8) % VIDEO_WIDTH, y, colour, frame // 4)
        for bx, by, phase in birds:
            _bird(
                draw, (bx + t * VIDEO_WIDTH / 4) % VIDEO_WIDTH, by + 6 * ((t * 6 + phase) % 1), frame % 6 < 3
            )
        yield image


def demo_video(scene: Scene, village: Village, data_dir: Path, var_dir: Path, redraw: bool = False) -> Path:
    """The scene's demo video in var/village/ (MP4, H.264, yuv420p, its index first so that it streams),
    drawn first if missing, from its demo picture. Written aside, then renamed into place."""
    name = scene.video_file
    assert name is not None and scene.drawn_video, scene.id
    target = media_dirs(data_dir, var_dir)[1] / name
    with _drawing:
        if target.exists() and not redraw:
            return target
        still = demo_panorama(scene, village, data_dir, var_dir)
        partial = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.mp4")
        with (
            Image.open(still) as picture,
            av.open(str(partial), "w", options={"movflags": "+faststart"}) as out,
        ):
            stream = out.add_stream("libx264", rate=Fraction(VIDEO_FPS))
            stream.width, stream.height, stream.pix_fmt = VIDEO_WIDTH, VIDEO_HEIGHT, "yuv420p"
            stream.options = {"crf": "27", "preset": "veryfast", "profile": "high"}
            for image in video_frames(picture, scene):
                out.mux(stream.encode(av.VideoFrame.from_image(image)))  # type: ignore[no-untyped-call]
            out.mux(stream.encode(None))
        partial.replace(target)
    return target


def ensure_demo_media(village: Village, data_dir: Path, var_dir: Path, redraw: bool = False) -> list[Path]:
    """Every scene's demo picture (the scenes with a real photo have none) and demo video."""
    drawn = [demo_panorama(s, village, data_dir, var_dir, redraw) for s in village.scenes if not s.panorama]
    return drawn + [
        demo_video(s, village, data_dir, var_dir, redraw) for s in village.scenes if s.drawn_video
    ]
