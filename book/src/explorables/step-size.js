// Chapter 2: step size against curvature on the quadratic bowl. Sliders for
// the step η, the condition number κ and the bowl's angle; the path of
// gradient descent, the error along each eigendirection (log scale), the
// factors |1 − ημ| and the stability limit 2/μmax marked on the η slider.
(function () {
  "use strict";
  const { svg, html, scale, round, fmt, slider, axes, points, mount } = window.QVG.common;
  const Q = window.QVG.quadratic;
  const ID = "qvg-step-size";
  const STEPS = 100;

  function build(root) {
    const d = root.dataset;
    const state = { lr: parseFloat(d.lr || "0.0198"), kappa: parseFloat(d.kappa || "100"), angle: parseFloat(d.angle || "0.5") };
    const controls = html("div", { class: "qvg-controls" }, root);
    const log = (v) => Math.log10(v), pow = (x, digits) => round(Math.pow(10, x), digits);
    const lr = slider(controls, {
      id: ID + "-lr", label: "step η", min: -3.3, max: 0.5, step: 0.005, value: state.lr,
      toValue: (x) => pow(x, 3), toPosition: log, format: (v) => fmt(v, v < 0.01 ? 5 : 4),
      onInput: (v) => { state.lr = v; update(); },
    });
    const kappa = slider(controls, {
      id: ID + "-kappa", label: "condition κ", min: 0, max: 3, step: 0.01, value: state.kappa,
      toValue: (x) => pow(x, 3), toPosition: log, format: (v) => fmt(v, 1),
      onInput: (v) => { state.kappa = v; update(); },
    });
    const angle = slider(controls, {
      id: ID + "-angle", label: "angle φ (rad)", min: 0, max: 3.14, step: 0.01, value: state.angle,
      format: (v) => v.toFixed(2) + " (" + Math.round((v * 180) / Math.PI) + "°)",
      onInput: (v) => { state.angle = v; update(); },
    });

    const panels = html("div", { class: "qvg-panels" }, root);
    // Left: the bowl and the path.
    const W = 360;
    const left = svg("svg", { viewBox: "0 0 " + W + " " + W, class: "qvg-panel", role: "img", "aria-label": "Path of gradient descent on the quadratic bowl" }, panels);
    const box = { x0: 40, x1: W - 12, y0: 12, y1: W - 40 };
    const sx = scale(-2, 2, box.x0, box.x1), sy = scale(-2, 2, box.y1, box.y0);
    svg("clipPath", { id: ID + "-clip" }, left).appendChild(svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }));
    axes(left, { box, sx, sy, xticks: [-2, -1, 0, 1, 2], yticks: [-2, -1, 0, 1, 2], xlabel: "x", ylabel: "y", ylabelOffset: 30 });
    const plot = svg("g", { "clip-path": "url(#" + ID + "-clip)" }, left);
    const ellipses = svg("g", { class: "qvg-contour" }, plot);
    const axesG = svg("g", {}, plot);
    const flatAxis = svg("line", { class: "qvg-eig qvg-flat" }, axesG);
    const steepAxis = svg("line", { class: "qvg-eig qvg-steep" }, axesG);
    const line = svg("polyline", { class: "qvg-path", fill: "none" }, plot);
    const dots = svg("g", { class: "qvg-dots" }, plot);
    svg("circle", { cx: sx(0), cy: sy(0), r: 3.5, class: "qvg-min" }, plot);

    // Right: |error| along each eigendirection, log scale.
    const right = svg("svg", { viewBox: "0 0 " + W + " " + W, class: "qvg-panel", role: "img", "aria-label": "Error along each eigendirection against the step, log scale" }, panels);
    const rbox = { x0: 56, x1: W - 12, y0: 12, y1: W - 40 };
    const kx = scale(0, STEPS, rbox.x0, rbox.x1), ly = scale(-8, 2, rbox.y1, rbox.y0);
    svg("clipPath", { id: ID + "-clip2" }, right).appendChild(svg("rect", { x: rbox.x0, y: rbox.y0, width: rbox.x1 - rbox.x0, height: rbox.y1 - rbox.y0 }));
    axes(right, {
      box: rbox, sx: kx, sy: ly, xticks: [0, 25, 50, 75, 100], yticks: [-8, -6, -4, -2, 0, 2],
      yfmt: (t) => (t === 0 ? "1" : "1e" + t), xlabel: "step k", ylabel: "|error| along eigenvector",
    });
    const rplot = svg("g", { "clip-path": "url(#" + ID + "-clip2)" }, right);
    const flatLine = svg("polyline", { class: "qvg-series qvg-flat", fill: "none" }, rplot);
    const steepLine = svg("polyline", { class: "qvg-series qvg-steep", fill: "none", "stroke-dasharray": "6 3" }, rplot);
    const legend = svg("g", { class: "qvg-legend" }, right);
    svg("text", { x: rbox.x0 + 8, y: rbox.y1 - 24, class: "qvg-flat-text" }, legend).textContent = "— flat direction (μ = 1)";
    const steepLabel = svg("text", { x: rbox.x0 + 8, y: rbox.y1 - 8, class: "qvg-steep-text" }, legend);

    const readout = html("p", { class: "qvg-readout", "aria-live": "polite" }, root);
    const instance = { state, sliders: { lr, kappa, angle }, readout, path: [], values: {} };
    window.QVG.instances[ID] = instance;

    function update() {
      const { lr: eta, kappa: k, angle: phi } = state;
      const pts = Q.path(eta, 0, k, phi, STEPS);
      instance.path = pts;
      line.setAttribute("points", points(pts, sx, sy));
      dots.textContent = "";
      for (const p of pts.slice(0, 30)) {
        if (Math.abs(p[0]) < 3 && Math.abs(p[1]) < 3) svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2 }, dots);
      }
      // contours f = c: ellipses with semi-axes √(2c/μ) along the eigenvectors
      ellipses.textContent = "";
      const deg = (-phi * 180) / Math.PI;
      for (const c of [0.02, 0.1, 0.5, 2, 8, 32, 128, 512]) {
        const a = Math.sqrt(2 * c), b = Math.sqrt((2 * c) / k);
        if (b > 6) continue;
        svg("ellipse", { cx: sx(0), cy: sy(0), rx: sx(a) - sx(0), ry: sx(b) - sx(0), transform: "rotate(" + deg + " " + sx(0) + " " + sy(0) + ")" }, ellipses);
      }
      const c = Math.cos(phi), s = Math.sin(phi);
      flatAxis.setAttribute("x1", sx(-3 * c)); flatAxis.setAttribute("y1", sy(-3 * s));
      flatAxis.setAttribute("x2", sx(3 * c)); flatAxis.setAttribute("y2", sy(3 * s));
      steepAxis.setAttribute("x1", sx(3 * s)); steepAxis.setAttribute("y1", sy(-3 * c));
      steepAxis.setAttribute("x2", sx(-3 * s)); steepAxis.setAttribute("y2", sy(3 * c));
      // errors along the eigenvectors
      const errs = Q.eigenErrors(pts, phi);
      const series = (j) => errs.map((e, i) => [i, Math.log10(Math.max(1e-300, Math.abs(e[j])))]).filter((p) => p[1] > -12);
      flatLine.setAttribute("points", points(series(0), kx, ly));
      steepLine.setAttribute("points", points(series(1), kx, ly));
      steepLabel.textContent = "-- steep direction (μ = " + fmt(k, 1) + ")";
      // numbers
      const [qFlat, qSteep] = Q.factors(eta, k);
      const limit = 2 / k, best = 2 / (1 + k);
      instance.values = { factors: [qFlat, qSteep], limit, best, contraction: Math.max(qFlat, qSteep) };
      lr.mark("limit", limit, "2/μmax", "qvg-mark-limit");
      lr.mark("best", best, "best step", "qvg-mark-best", true);
      const verdict = Math.max(qFlat, qSteep) < 1 ? "converges, error × " + fmt(Math.max(qFlat, qSteep), 4) + " per step"
        : "diverges: |1 − ημmax| > 1";
      readout.innerHTML = "";
      const span = (cls, v, text) => html("span", { class: cls, "data-value": String(v) }, readout, text);
      readout.append("Factors per step: |1 − η·1| = ");
      span("qvg-flat-text qvg-q-flat", qFlat, fmt(qFlat, 4));
      readout.append(", |1 − η·κ| = ");
      span("qvg-steep-text qvg-q-steep", qSteep, fmt(qSteep, 4));
      readout.append(". Stable below η = 2/μmax = ");
      span("qvg-limit", limit, fmt(limit, limit < 0.01 ? 5 : 4));
      readout.append("; best fixed step 2/(μmin + μmax) = ");
      span("qvg-best", best, fmt(best, best < 0.01 ? 5 : 4));
      readout.append(". Here: " + verdict + ".");
    }
    instance.update = update;
    update();
  }

  const root = mount(ID);
  if (root) build(root);
})();
