// Shared helpers of the book's explorables: SVG elements, scales, labelled
// sliders, contour lines (marching squares) and a colour map. Plain
// JavaScript, no network, works from file://. Each explorable registers
// itself in window.QVG.instances so the browser test can read its state.
(function () {
  "use strict";
  if (window.QVG && window.QVG.common) return;
  const QVG = (window.QVG = window.QVG || {});
  QVG.instances = QVG.instances || {};
  const SVG_NS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, parent) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // A linear map [d0, d1] -> [r0, r1].
  function scale(d0, d1, r0, r1) {
    const f = (v) => r0 + ((v - d0) * (r1 - r0)) / (d1 - d0);
    f.invert = (r) => d0 + ((r - r0) * (d1 - d0)) / (r1 - r0);
    return f;
  }

  // `digits` significant digits, as a number (so that a value set from a
  // slider is the double nearest to its printed decimal).
  function round(v, digits) {
    return parseFloat(v.toPrecision(digits));
  }

  function fmt(v, digits) {
    if (v === 0) return "0";
    if (!isFinite(v)) return v > 0 ? "∞" : v < 0 ? "−∞" : "NaN";
    const s = Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toFixed(digits) : v.toExponential(Math.max(1, digits - 2));
    return s.replace("-", "−");
  }

  // A labelled <input type=range>: the label names it, an <output> shows
  // the value. `toValue` maps the slider position to the value (identity
  // by default), `toPosition` back.
  function slider(parent, o) {
    const row = html("div", { class: "qvg-slider" }, parent);
    const id = o.id;
    html("label", { for: id }, row, o.label);
    const track = html("div", { class: "qvg-track" }, row);
    const input = html("input", {
      type: "range", id: id, min: String(o.min), max: String(o.max), step: String(o.step),
      "aria-describedby": id + "-out",
    }, track);
    const out = html("output", { id: id + "-out", for: id }, row);
    const toValue = o.toValue || ((x) => x);
    const toPosition = o.toPosition || ((v) => v);
    const s = {
      input: input, out: out, track: track, value: o.value,
      set(v, silent) {
        s.value = v;
        input.value = String(toPosition(v));
        out.textContent = o.format(v);
        input.setAttribute("aria-valuetext", o.format(v));
        if (!silent && o.onInput) o.onInput(v);
      },
      // A mark above the track at value v (e.g. a stability limit).
      // `below`: under the track instead of above it.
      mark(key, v, text, cls, below) {
        s.marks = s.marks || {};
        let m = s.marks[key];
        if (!m) {
          m = s.marks[key] = html("span", { class: "qvg-mark " + (cls || "") }, track);
          if (below) track.classList.add("qvg-below");
        }
        const pos = (toPosition(v) - o.min) / (o.max - o.min);
        m.hidden = !(pos >= 0 && pos <= 1);
        // the thumb's centre runs from 8 px to width − 8 px
        m.style.left = "calc(8px + (100% - 16px) * " + Math.min(1, Math.max(0, pos)) + ")";
        m.textContent = text;
        m.title = text;
      },
    };
    input.addEventListener("input", () => s.set(toValue(parseFloat(input.value))));
    s.set(o.value, true);
    return s;
  }

  // Contour segments of a grid of values z[j][i] (row j at y[j], column i
  // at x[i]) at `level`, by marching squares, as an SVG path string in
  // screen coordinates (sx, sy map data to screen).
  function contourPath(z, xs, ys, level, sx, sy) {
    let d = "";
    const ny = ys.length, nx = xs.length;
    const lerp = (a, b, za, zb) => a + ((level - za) / (zb - za)) * (b - a);
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const z00 = z[j][i], z10 = z[j][i + 1], z01 = z[j + 1][i], z11 = z[j + 1][i + 1];
        if (!(isFinite(z00) && isFinite(z10) && isFinite(z01) && isFinite(z11))) continue;
        const pts = [];
        // edges: bottom (00-10), right (10-11), top (01-11), left (00-01)
        if ((z00 < level) !== (z10 < level)) pts.push([lerp(xs[i], xs[i + 1], z00, z10), ys[j]]);
        if ((z10 < level) !== (z11 < level)) pts.push([xs[i + 1], lerp(ys[j], ys[j + 1], z10, z11)]);
        if ((z01 < level) !== (z11 < level)) pts.push([lerp(xs[i], xs[i + 1], z01, z11), ys[j + 1]]);
        if ((z00 < level) !== (z01 < level)) pts.push([xs[i], lerp(ys[j], ys[j + 1], z00, z01)]);
        for (let k = 0; k + 1 < pts.length; k += 2) {
          d += "M" + sx(pts[k][0]).toFixed(1) + " " + sy(pts[k][1]).toFixed(1) +
            "L" + sx(pts[k + 1][0]).toFixed(1) + " " + sy(pts[k + 1][1]).toFixed(1);
        }
      }
    }
    return d;
  }

  // viridis, t in [0, 1]
  const VIRIDIS = [
    [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
  ];
  function viridis(t) {
    t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
    const k = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - k;
    const a = VIRIDIS[k], b = VIRIDIS[k + 1];
    return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c])));
  }

  // Axis ticks and labels of a panel.
  function axes(g, o) {
    const { x0, x1, y0, y1 } = o.box;
    svg("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: "qvg-frame" }, g);
    for (const t of o.xticks || []) {
      const x = o.sx(t);
      svg("line", { x1: x, x2: x, y1: y1, y2: y1 + 4, class: "qvg-tick" }, g);
      svg("text", { x: x, y: y1 + 15, class: "qvg-ticklabel", "text-anchor": "middle" }, g).textContent = o.xfmt ? o.xfmt(t) : String(t);
    }
    for (const t of o.yticks || []) {
      const y = o.sy(t);
      svg("line", { x1: x0 - 4, x2: x0, y1: y, y2: y, class: "qvg-tick" }, g);
      svg("text", { x: x0 - 6, y: y + 4, class: "qvg-ticklabel", "text-anchor": "end" }, g).textContent = o.yfmt ? o.yfmt(t) : String(t);
    }
    if (o.xlabel) svg("text", { x: (x0 + x1) / 2, y: y1 + 32, class: "qvg-axislabel", "text-anchor": "middle" }, g).textContent = o.xlabel;
    if (o.ylabel) {
      svg("text", {
        x: 0, y: 0, class: "qvg-axislabel", "text-anchor": "middle",
        transform: "translate(" + (x0 - (o.ylabelOffset || 40)) + " " + (y0 + y1) / 2 + ") rotate(-90)",
      }, g).textContent = o.ylabel;
    }
  }

  // At most about `count` round tick values in [a, b] (multiples of 1, 2
  // or 5 times a power of ten, computed as integer multiples so that 0 is 0).
  function ticks(a, b, count) {
    const raw = (b - a) / (count || 5), mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let k = Math.ceil(a / step); k * step <= b + 1e-12 * Math.abs(b); k++) out.push(round(k * step, 12));
    return out;
  }

  // A polyline "points" string, with points far outside the view clamped
  // (an exploding path stays drawable).
  function points(pts, sx, sy) {
    const c = (v) => Math.max(-1e4, Math.min(1e4, v));
    return pts.filter((p) => isFinite(p[0]) && isFinite(p[1]))
      .map((p) => c(sx(p[0])).toFixed(2) + "," + c(sy(p[1])).toFixed(2)).join(" ");
  }

  // The root of an explorable: finds its placeholder and marks it live.
  function mount(id) {
    const root = document.getElementById(id);
    if (!root) return null;
    root.classList.add("qvg-live");
    root.textContent = "";
    return root;
  }

  QVG.common = { svg, html, scale, round, fmt, slider, contourPath, viridis, axes, ticks, points, mount };
})();
