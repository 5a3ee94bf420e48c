// Chapter 3: the heavy ball's convergence rate over the (η, β) plane of the
// bowl with κ = 100 (angle 30°), from the spectral radius of the 2 × 2
// iteration matrix of each eigenvalue; the critical-damping curves and
// Polyak's optimum marked. Clicking the map (or moving the sliders) draws
// that setting's path.
(function () {
  "use strict";
  const { svg, html, scale, round, fmt, slider, axes, ticks, points, viridis, mount } = window.QVG.common;
  const Q = window.QVG.quadratic;
  const ID = "qvg-momentum";
  const STEPS = 100;

  function build(root) {
    const d = root.dataset;
    const kappa = parseFloat(d.kappa || "100");
    const angle = d.angleDeg ? parseFloat(d.angleDeg) * (Math.PI / 180) : Math.PI / 6;
    const eig = [1, kappa];
    const lrMax = 4.4 / kappa;
    const opt = Q.polyak(1, kappa);
    const state = { lr: opt.lr, beta: opt.beta };

    const controls = html("div", { class: "qvg-controls" }, root);
    const lrStep = round(lrMax / 440, 1);
    const lr = slider(controls, {
      id: ID + "-lr", label: "step η", min: 0, max: lrMax, step: lrStep, value: state.lr,
      toValue: (x) => round(x, 4), format: (v) => fmt(v, 5),
      onInput: (v) => { state.lr = v; update(); },
    });
    const beta = slider(controls, {
      id: ID + "-beta", label: "momentum β", min: 0, max: 0.999, step: 0.001, value: state.beta,
      toValue: (x) => round(x, 3), format: (v) => fmt(v, 4),
      onInput: (v) => { state.beta = v; update(); },
    });
    const buttons = html("div", { class: "qvg-buttons" }, controls);
    const preset = (label, l, b) => {
      const btn = html("button", { type: "button" }, buttons, label);
      btn.addEventListener("click", () => { state.lr = l; state.beta = b; lr.set(l, true); beta.set(b, true); update(); });
    };
    preset("Polyak's optimum", opt.lr, opt.beta);
    preset("best plain GD", 2 / (1 + kappa), 0);
    preset("η = 1/μmax, β = 0.9", 1 / kappa, 0.9);

    const panels = html("div", { class: "qvg-panels" }, root);
    const W = 360, HM = 400;
    // Left: the rate map.
    const left = svg("svg", { viewBox: "0 0 " + W + " " + HM, class: "qvg-panel", role: "img", "aria-label": "Convergence rate of the heavy ball over step size and momentum; click to pick a setting" }, panels);
    const box = { x0: 48, x1: W - 12, y0: 12, y1: HM - 104 };
    const sx = scale(0, lrMax, box.x0, box.x1), sy = scale(0, 1, box.y1, box.y0);
    const nx = 176, ny = 136;
    const canvas = document.createElement("canvas");
    canvas.width = nx; canvas.height = ny;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(nx, ny);
    // colour: log10(1 − rate) from −3 (slow) to −0.5 (fast); rate ≥ 1 grey
    const colourOf = (rate) => {
      if (!(rate < 1)) return [190, 190, 190];
      return viridis((Math.log10(1 - rate) + 3) / 2.5);
    };
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const l = ((i + 0.5) / nx) * lrMax, b = 1 - (j + 0.5) / ny;
        const c = colourOf(Q.heavyBallRate(l, b, eig));
        const k = 4 * (j * nx + i);
        img.data[k] = c[0]; img.data[k + 1] = c[1]; img.data[k + 2] = c[2]; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    svg("image", {
      href: canvas.toDataURL("image/png"), x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0,
      preserveAspectRatio: "none", style: "image-rendering: pixelated",
    }, left);
    axes(left, {
      box, sx, sy, xticks: [0, 0.01, 0.02, 0.03, 0.04], yticks: [0, 0.25, 0.5, 0.75, 1],
      xlabel: "step η", ylabel: "momentum β",
    });
    svg("clipPath", { id: ID + "-clip" }, left).appendChild(svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }));
    const over = svg("g", { "clip-path": "url(#" + ID + "-clip)" }, left);
    const curve = (f) => {
      const pts = [];
      for (let k = 0; k <= 200; k++) { const l = (k / 200) * lrMax; pts.push([l, f(l)]); }
      return points(pts.filter((p) => p[1] >= -0.05 && p[1] <= 1.05), sx, sy);
    };
    svg("polyline", { points: curve((l) => Q.criticalBeta(l, 1)), class: "qvg-crit", stroke: "#e74c3c" }, over);
    svg("polyline", { points: curve((l) => Q.criticalBeta(l, kappa)), class: "qvg-crit", stroke: "#5dade2" }, over);
    // divergence boundary ημmax = 2(1 + β)
    svg("polyline", { points: points([[2 / kappa, 0], [4 / kappa, 1]], sx, sy), class: "qvg-bound" }, over);
    svg("path", { d: star(sx(opt.lr), sy(opt.beta), 7), class: "qvg-optimum" }, over);
    const pick = svg("circle", { r: 6, class: "qvg-pick" }, over);
    const pickIn = svg("circle", { r: 6, class: "qvg-pick-inner" }, over);
    const hit = svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0, fill: "transparent", class: "qvg-map-hit" }, left);
    hit.addEventListener("click", (ev) => {
      const p = left.createSVGPoint();
      p.x = ev.clientX; p.y = ev.clientY;
      const q = p.matrixTransform(left.getScreenCTM().inverse());
      state.lr = Math.min(lrMax, Math.max(0, round(Math.round(sx.invert(q.x) / lrStep) * lrStep, 4)));
      state.beta = Math.min(0.999, Math.max(0, round(sy.invert(q.y), 3)));
      lr.set(state.lr, true); beta.set(state.beta, true);
      update();
    });
    // legend under the map
    const lg = svg("g", { class: "qvg-legend" }, left);
    const ly = box.y1 + 58;
    const lx = scale(-3, -0.5, box.x0, box.x0 + 150);
    for (let k = 0; k < 50; k++) {
      const c = viridis(k / 49);
      svg("rect", { x: box.x0 + 3 * k, y: ly, width: 3.2, height: 8, fill: "rgb(" + c + ")" }, lg);
    }
    for (const [t, label] of [[-3, "0.999"], [-2, "0.99"], [-1, "0.9"]]) {
      svg("text", { x: lx(t), y: ly + 20, "text-anchor": "middle" }, lg).textContent = label;
    }
    svg("text", { x: box.x0, y: ly - 5 }, lg).textContent = "rate per step";
    const lx2 = box.x0 + 168;
    svg("rect", { x: lx2, y: ly - 13, width: 16, height: 9, fill: "rgb(190,190,190)" }, lg);
    svg("text", { x: lx2 + 22, y: ly - 5 }, lg).textContent = "diverges";
    svg("line", { x1: lx2, x2: lx2 + 16, y1: ly + 5, y2: ly + 5, class: "qvg-bound" }, lg);
    svg("text", { x: lx2 + 22, y: ly + 9 }, lg).textContent = "ημmax = 2(1 + β)";
    svg("line", { x1: lx2, x2: lx2 + 16, y1: ly + 19, y2: ly + 19, class: "qvg-crit", stroke: "#e74c3c" }, lg);
    svg("text", { x: lx2 + 22, y: ly + 23 }, lg).textContent = "critical, μ = 1";
    svg("line", { x1: lx2, x2: lx2 + 16, y1: ly + 33, y2: ly + 33, class: "qvg-crit", stroke: "#5dade2" }, lg);
    svg("text", { x: lx2 + 22, y: ly + 37 }, lg).textContent = "critical, μ = " + fmt(kappa, 0);

    // Right: the path.
    const right = svg("svg", { viewBox: "0 0 " + W + " " + HM, class: "qvg-panel", role: "img", "aria-label": "Path of the heavy ball on the bowl for the chosen step and momentum" }, panels);
    // the view follows the path: the square around the minimum that holds
    // its first steps (between 2 and 20 wide each way)
    const rbox = { x0: 44, x1: W - 12, y0: 30, y1: 30 + (W - 56) };
    svg("clipPath", { id: ID + "-clip2" }, right).appendChild(svg("rect", { x: rbox.x0, y: rbox.y0, width: rbox.x1 - rbox.x0, height: rbox.y1 - rbox.y0 }));
    const raxes = svg("g", {}, right);
    const rplot = svg("g", { "clip-path": "url(#" + ID + "-clip2)" }, right);
    const ell = svg("g", { class: "qvg-contour" }, rplot);
    const line = svg("polyline", { class: "qvg-path", fill: "none" }, rplot);
    const dots = svg("g", { class: "qvg-dots" }, rplot);
    const minDot = svg("circle", { r: 3.5, class: "qvg-min" }, rplot);
    const title = svg("text", { x: rbox.x0, y: 18, class: "qvg-title" }, right);
    let px = null, py = null;
    function view(pts) {
      let r = 2;
      for (const p of pts.slice(0, 40)) r = Math.max(r, Math.abs(p[0]), Math.abs(p[1]));
      r = Math.min(20, [2, 3, 4, 5, 6, 8, 10, 15, 20].find((v) => v >= r * 1.02) || 20);
      px = scale(-r, r, rbox.x0, rbox.x1); py = scale(-r, r, rbox.y1, rbox.y0);
      raxes.textContent = "";
      const t = ticks(-r, r, 4);
      axes(raxes, { box: rbox, sx: px, sy: py, xticks: t, yticks: t, xlabel: "x", ylabel: "y", ylabelOffset: 32 });
      ell.textContent = "";
      for (const c of [0.02, 0.1, 0.5, 2, 8, 32, 128, 512, 2048]) {
        if (Math.sqrt((2 * c) / kappa) > 1.5 * r) continue;
        svg("ellipse", {
          cx: px(0), cy: py(0), rx: px(Math.sqrt(2 * c)) - px(0), ry: px(Math.sqrt((2 * c) / kappa)) - px(0),
          transform: "rotate(" + (-angle * 180) / Math.PI + " " + px(0) + " " + py(0) + ")",
        }, ell);
      }
      minDot.setAttribute("cx", px(0)); minDot.setAttribute("cy", py(0));
    }

    const readout = html("p", { class: "qvg-readout", "aria-live": "polite" }, root);
    const instance = { state, sliders: { lr, beta }, readout, path: [], values: {}, map: { box, lrMax }, svgMap: left };
    window.QVG.instances[ID] = instance;

    function regime(l, b, mu) {
      const a = 1 + b - l * mu, disc = a * a - 4 * b;
      if (Math.abs(disc) < 1e-12) return "critically damped";
      return disc < 0 ? "underdamped (oscillates)" : "overdamped";
    }

    function update() {
      const { lr: l, beta: b } = state;
      pick.setAttribute("cx", sx(l)); pick.setAttribute("cy", sy(b));
      pickIn.setAttribute("cx", sx(l)); pickIn.setAttribute("cy", sy(b));
      const pts = Q.path(l, b, kappa, angle, STEPS);
      instance.path = pts;
      view(pts);
      line.setAttribute("points", points(pts, px, py));
      dots.textContent = "";
      for (const p of pts.slice(0, 40)) {
        if (Math.abs(p[0]) < 25 && Math.abs(p[1]) < 25) svg("circle", { cx: px(p[0]), cy: py(p[1]), r: 1.8 }, dots);
      }
      title.textContent = "first " + STEPS + " steps, η = " + fmt(l, 5) + ", β = " + fmt(b, 4);
      const rates = eig.map((mu) => Q.modeRate(l, b, mu));
      const rate = Q.heavyBallRate(l, b, eig);
      const crit = eig.map((mu) => Q.criticalBeta(l, mu));
      instance.values = { rate, rates, critical: crit };
      readout.innerHTML = "";
      const span = (cls, v, text) => html("span", { class: cls, "data-value": String(v) }, readout, text);
      readout.append("Rate ρ = max over μ of the spectral radius of M(μ): ");
      span("qvg-rate", rate, fmt(rate, 4));
      if (rate < 1) {
        readout.append(" per step, so about " + Math.ceil(Math.log(1e-6) / Math.log(rate)) + " steps to shrink the error a million-fold. ");
      } else {
        readout.append(": the run diverges. ");
      }
      readout.append("Flat direction (μ = 1): ");
      span("qvg-flat-text qvg-rate-flat", rates[0], fmt(rates[0], 4));
      readout.append(", " + regime(l, b, 1) + "; steep direction (μ = " + fmt(kappa, 0) + "): ");
      span("qvg-steep-text qvg-rate-steep", rates[1], fmt(rates[1], 4));
      readout.append(", " + regime(l, b, kappa) + ". Polyak's optimum (star): η = " + fmt(opt.lr, 5) + ", β = " + fmt(opt.beta, 4) + ".");
    }
    instance.update = update;
    update();
  }

  function star(cx, cy, r) {
    let d = "";
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
      d += (k ? "L" : "M") + (cx + rr * Math.cos(a)).toFixed(1) + " " + (cy + rr * Math.sin(a)).toFixed(1);
    }
    return d + "Z";
  }

  const root = mount(ID);
  if (root) build(root);
})();
