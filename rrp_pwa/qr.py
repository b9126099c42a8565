"""QR codes as inline SVG from the qrcode library's SVG path factory: printed mediator badges and
the keeper's join code.

The factory draws every dark module as its own square (``M2,2H3V3H2z``); a sheet of 30 badges
then weighs about 70 KB gzipped. Joining each row's neighbouring squares into one rectangle
draws exactly the same modules in about a third of the bytes, keeping the sheet within the
60 KB first-load budget. Inline, the code is drawn with the page's first paint: as an <img> it was
the keeper screen's largest paint, waiting on the scripts before it (Lighthouse: 2.6-2.8 s).
"""
import re
from functools import lru_cache

import qrcode
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z")
PATH = re.compile(r' d="([^"]*)"')


def join_rows(path: str) -> str:
    """The same dark modules, each row's runs drawn as one rectangle. A path in any other
    shape than unit squares is returned unchanged."""
    squares = SQUARE.findall(path)
    if not squares or "".join(f"M{x},{y}H{a}V{b}H{c}z" for x, y, a, b, c in squares) != path:
        return path
    rows: dict[int, list[int]] = {}
    for x, y, *_ in squares:
        rows.setdefault(int(y), []).append(int(x))
    runs = []
    for y, xs in sorted(rows.items()):
        xs.sort()
        start = previous = xs[0]
        for x in xs[1:] + [None]:
            if x == previous + 1:
                previous = x
                continue
            runs.append(f"M{start},{y}h{previous - start + 1}v1h-{previous - start + 1}z")
            start = previous = x
    return "".join(runs)


@lru_cache(maxsize=256)  # the same text and label give the same drawing (20 ms to draw)
def qr_svg(text: str, label: str, css_class: str = "badge-qr") -> Markup:
    """``text`` as a QR code in inline SVG (no images, no Pillow), named for screen readers."""
    svg = qrcode.make(text, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    svg = PATH.sub(lambda match: f' d="{join_rows(match.group(1))}"', svg, count=1)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" class="{css_class}" ', 1))
