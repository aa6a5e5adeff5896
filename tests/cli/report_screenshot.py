#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Opens an `hpusim report` page in headless Chromium and checks what a reader would see.

1. At a 1280-pixel window, the page's own layout check (report/layout_check.cpp) must find every chart laid out
   with its shapes, no label outside its chart, no two labels of a chart overlapping, every kind drawn named in its
   chart's legend in the colour it is drawn in, no colour meaning two kinds or series on the page, and the page no
   wider than the window; the same at a 760-pixel window (the charts shrink).
2. A screenshot of the whole page at 1280 pixels must show each legend entry's swatch in its colour where the page
   says it is: the legend is drawn, not only present in the document.

Usage: report_screenshot.py REPORT.html WORKDIR  (exit 0 when every check holds; the failures are printed)
"""
import html.parser
import json
import os
import struct
import subprocess
import sys
import zlib


def chromium(args, out):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--force-device-scale-factor=1"] + args
    with open(out, "wb") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, timeout=180, check=True)


class BodyAttributes(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.body = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.body is None:
            self.body = dict(attrs)


def layout(page, width, work):
    dom = os.path.join(work, f"dom-{width}.html")
    chromium([f"--window-size={width},1000", "--dump-dom", "file://" + page], dom)
    parser = BodyAttributes()
    with open(dom, encoding="utf-8") as f:
        parser.feed(f.read())
    if not parser.body or "data-charts" not in parser.body:
        raise SystemExit(f"the layout check did not run at {width} px (no data-charts on <body>)")
    return parser.body


def read_png(path):
    """RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                cur[i] = (cur[i] + a) & 255
            elif kind == 2:
                cur[i] = (cur[i] + b) & 255
            elif kind == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(cur)
        prev = cur
    return width, height, channels, rows


def main():
    page, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    failures = []
    for width in (1280, 760):
        body = layout(page, width, work)
        charts = int(body["data-charts"])
        if charts == 0 or body["data-charts-rendered"] != str(charts):
            failures.append(f"{width} px: {body['data-charts-rendered']} of {charts} charts laid out")
        for key in ("data-labels-outside", "data-labels-overlapping", "data-legend-missing",
                    "data-legend-colour-mismatch", "data-colours-shared", "data-page-overflow"):
            if body[key] != "0":
                failures.append(f"{width} px: {key} = {body[key]}: {body['data-problems']}")
    body = layout(page, 1280, work)
    height = min(int(body["data-page-height"]), 16000)
    shot = os.path.join(work, "screenshot.png")
    chromium([f"--window-size=1280,{height}", f"--screenshot={shot}", "file://" + page], os.devnull)
    w, h, ch, rows = read_png(shot)
    swatches = json.loads(body["data-swatches"])
    if not swatches:
        failures.append("no legend swatch on the page")
    seen = 0
    for s in swatches:
        if s["y"] >= h:
            continue  # below a very long page's screenshot
        want = [int(v) for v in s["fill"][s["fill"].index("(") + 1:s["fill"].index(")")].split(",")[:3]]
        got = list(rows[s["y"]][s["x"] * ch:s["x"] * ch + 3])
        if max(abs(a - b) for a, b in zip(want, got)) > 6:
            failures.append(f"legend '{s['legend']}' at ({s['x']}, {s['y']}): screenshot shows {got}, want {want}")
        seen += 1
    print(f"{charts} charts; {seen} legend swatches checked in a {w}x{h} screenshot")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
