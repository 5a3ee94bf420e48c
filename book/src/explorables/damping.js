// Chapter 9: damping and the quadratic model on the hidden-weight slice
// (quad_vs_grad::problem::XorProblem::hidden_slice). The page evaluates the
// crate's network on the crate's exported data set and frozen weights
// (data/hidden.js): loss, gradient, Hessian and Gauss–Newton matrix in the
// slice's two coordinates. The reader drags the start and sets λ; drawn are
// the loss contours, the local quadratic model's contours, the damped Newton
// step −(H + λI)⁻¹g, the Levenberg–Marquardt step −(G + λI)⁻¹g, the gradient
// step −g/λ, and the actual loss along each step.
(function () {
  "use strict";
  const { svg, html, scale, round, fmt, slider, axes, points, contourPath, mount } = window.QVG.common;
  const ID = "qvg-damping";
  const DATA = (window.QVG_DATA || {}).hidden;

  // ---- the crate's model, in the slice's coordinates --------------------
  // θ(p) = θ₀ + Dᵀp; per layer, row i of the block holds unit i's incoming
  // weights and then its bias (quad_vs_grad::mlp::Mlp::unpack).
  function makeModel(data) {
    const widths = data.widths;
    if (widths.length !== 3 || widths[2] !== 1) throw new Error("the page evaluates one hidden layer and one output");
    const nIn = widths[0], nH = widths[1];
    const D = data.directions, th0 = data.theta0, X = data.x, Y = data.y, N = Y.length;
    const K = D.length;
    // unpack a flat vector into W (nH × nIn), b (nH), v (nH), c
    const unpack = (t) => {
      const W = [], b = [], v = [];
      let o = 0;
      for (let i = 0; i < nH; i++) {
        W.push(t.slice(o, o + nIn)); b.push(t[o + nIn]); o += nIn + 1;
      }
      for (let i = 0; i < nH; i++) v.push(t[o + i]);
      return { W, b, v, c: t[o + nH] };
    };
    const dirs = D.map(unpack);
    const theta = (p) => th0.map((t0, k) => {
      let s = 0;
      for (let r = 0; r < K; r++) s += D[r][k] * p[r];
      return t0 + s;
    });
    const softplus = (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    const sigmoid = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

    function loss(p) {
      const { W, b, v, c } = unpack(theta(p));
      let sum = 0;
      for (let n = 0; n < N; n++) {
        let z = c;
        for (let i = 0; i < nH; i++) {
          let a = b[i];
          for (let j = 0; j < nIn; j++) a += W[i][j] * X[n][j];
          z += v[i] * Math.tanh(a);
        }
        sum += softplus(z) - Y[n] * z;
      }
      return sum / N;
    }

    // loss, gradient, Hessian and GGN in p (K × K)
    function derivatives(p) {
      const { W, b, v, c } = unpack(theta(p));
      const g = new Array(K).fill(0);
      const H = [...Array(K)].map(() => new Array(K).fill(0));
      const G = [...Array(K)].map(() => new Array(K).fill(0));
      let sum = 0;
      for (let n = 0; n < N; n++) {
        const x = X[n];
        let z = c;
        const dz = dirs.map((d) => d.c), d2z = [...Array(K)].map(() => new Array(K).fill(0));
        for (let i = 0; i < nH; i++) {
          let a = b[i];
          for (let j = 0; j < nIn; j++) a += W[i][j] * x[j];
          const h = Math.tanh(a), t = 1 - h * h;
          const da = dirs.map((d) => {
            let s = d.b[i];
            for (let j = 0; j < nIn; j++) s += d.W[i][j] * x[j];
            return s;
          });
          const dh = da.map((q) => t * q);
          z += v[i] * h;
          for (let r = 0; r < K; r++) {
            dz[r] += dirs[r].v[i] * h + v[i] * dh[r];
            for (let s = 0; s < K; s++) {
              d2z[r][s] += dirs[r].v[i] * dh[s] + dirs[s].v[i] * dh[r] + v[i] * (-2 * h * t * da[r] * da[s]);
            }
          }
        }
        const sg = sigmoid(z), l1 = sg - Y[n], l2 = sg * (1 - sg);
        sum += softplus(z) - Y[n] * z;
        for (let r = 0; r < K; r++) {
          g[r] += l1 * dz[r];
          for (let s = 0; s < K; s++) {
            G[r][s] += l2 * dz[r] * dz[s];
            H[r][s] += l2 * dz[r] * dz[s] + l1 * d2z[r][s];
          }
        }
      }
      for (let r = 0; r < K; r++) {
        g[r] /= N;
        for (let s = 0; s < K; s++) { H[r][s] /= N; G[r][s] /= N; }
      }
      return { loss: sum / N, gradient: g, hessian: H, ggn: G };
    }
    return { loss, derivatives, dim: K };
  }

  // −(C + λI)⁻¹g for 2 × 2, by LU with partial pivoting (as the crate).
  function dampedStep(C, lambda, g) {
    let a = [[C[0][0] + lambda, C[0][1]], [C[1][0], C[1][1] + lambda]], r = [g[0], g[1]];
    if (Math.abs(a[1][0]) > Math.abs(a[0][0])) { a = [a[1], a[0]]; r = [r[1], r[0]]; }
    const l = a[1][0] / a[0][0];
    const u11 = a[1][1] - l * a[0][1];
    const y1 = r[1] - l * r[0];
    const x1 = y1 / u11;
    const x0 = (r[0] - a[0][1] * x1) / a[0][0];
    return [-x0, -x1];
  }

  function eigenvalues2(M) {
    const m = 0.5 * (M[0][0] + M[1][1]), d = 0.5 * (M[0][0] - M[1][1]);
    const r = Math.hypot(d, M[0][1]);
    return [m - r, m + r];
  }

  const dot = (a, b) => a[0] * b[0] + a[1] * b[1];
  const quad = (M, s) => s[0] * (M[0][0] * s[0] + M[0][1] * s[1]) + s[1] * (M[1][0] * s[0] + M[1][1] * s[1]);

  // Everything the page shows at (p, λ).
  function analyse(model, p, lambda) {
    const d = model.derivatives(p);
    const g = d.gradient;
    const steps = {
      newton: dampedStep(d.hessian, lambda, g),
      lm: dampedStep(d.ggn, lambda, g),
      grad: [-g[0] / lambda, -g[1] / lambda],
    };
    const out = { p, lambda, loss: d.loss, gradient: g, hessian: d.hessian, ggn: d.ggn, eigenvalues: eigenvalues2(d.hessian), steps: {} };
    for (const k in steps) {
      const s = steps[k];
      const end = model.loss([p[0] + s[0], p[1] + s[1]]);
      const curvature = k === "lm" ? d.ggn : d.hessian;
      const predicted = dot(g, s) + 0.5 * quad(curvature, s);
      out.steps[k] = { s, norm: Math.hypot(s[0], s[1]), loss: end, actual: end - d.loss, predicted, rho: (end - d.loss) / predicted };
    }
    return out;
  }

  window.QVG.hidden = { makeModel, dampedStep, analyse, eigenvalues2 };

  // ---- the page ----------------------------------------------------------
  const VIEW = [-4, 4];
  const LEVELS = [0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.5, 2];
  // the model's contours: m = L + Δ around the start's loss L
  const MODEL_DELTAS = [-0.8, -0.4, 0, 0.4, 0.8];
  const NAMES = { newton: "damped Newton", lm: "Levenberg–Marquardt (GGN)", grad: "gradient step −g/λ" };

  function build(root) {
    if (!DATA) { root.textContent = "data/hidden.js did not load."; return; }
    const model = makeModel(DATA);
    const state = { p: DATA.start.slice(), lambda: parseFloat(root.dataset.lambda || "1") };

    const controls = html("div", { class: "qvg-controls" }, root);
    const lam = slider(controls, {
      id: ID + "-lambda", label: "damping λ", min: -2, max: 2, step: 0.01, value: state.lambda,
      toValue: (x) => round(Math.pow(10, x), 3), toPosition: Math.log10, format: (v) => fmt(v, v < 0.1 ? 4 : 3),
      onInput: (v) => { state.lambda = v; update(); },
    });
    html("p", { class: "qvg-hint" }, controls,
      "Drag the white start point (or click the map; with the point focused, the arrow keys move it by 0.05).");

    const panels = html("div", { class: "qvg-panels" }, root);
    const W = 360;
    const left = svg("svg", { viewBox: "0 0 " + W + " " + W, class: "qvg-panel", role: "img", "aria-label": "Loss contours of the hidden slice with the quadratic model and three steps from the start" }, panels);
    const box = { x0: 52, x1: W - 12, y0: 28, y1: W - 52 };
    const sx = scale(VIEW[0], VIEW[1], box.x0, box.x1), sy = scale(VIEW[0], VIEW[1], box.y1, box.y0);
    svg("text", { x: box.x0, y: 18, class: "qvg-title" }, left).textContent = "loss (grey) and its quadratic model at the start (orange)";
    svg("clipPath", { id: ID + "-clip" }, left).appendChild(svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }));
    const labels = DATA.axis_labels || ["p1", "p2"];
    axes(left, { box, sx, sy, xticks: [-4, -2, 0, 2, 4], yticks: [-4, -2, 0, 2, 4], xlabel: labels[0], ylabel: labels[1], ylabelOffset: 34 });
    const plot = svg("g", { "clip-path": "url(#" + ID + "-clip)" }, left);
    // the loss on a grid, shaded and contoured
    const n = 81, xs = [], ys = [];
    for (let k = 0; k < n; k++) { xs.push(VIEW[0] + ((VIEW[1] - VIEW[0]) * k) / (n - 1)); ys.push(xs[k]); }
    const Z = ys.map((y) => xs.map((x) => model.loss([x, y])));
    const canvas = document.createElement("canvas");
    canvas.width = n; canvas.height = n;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const t = Math.min(1, Math.max(0, (Math.log10(Z[j][i]) + 2.3) / 2.8));
        const k = 4 * ((n - 1 - j) * n + i);
        img.data[k] = Math.round(255 - 70 * t); img.data[k + 1] = Math.round(255 - 45 * t); img.data[k + 2] = Math.round(255 - 10 * t); img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    const dx = (sx(VIEW[1]) - sx(VIEW[0])) / (n - 1);
    svg("image", { href: canvas.toDataURL("image/png"), x: sx(VIEW[0]) - dx / 2, y: sy(VIEW[1]) - dx / 2, width: n * dx, height: n * dx, preserveAspectRatio: "none" }, plot);
    const lossC = svg("g", { class: "qvg-loss-contour" }, plot);
    for (const lv of LEVELS) svg("path", { d: contourPath(Z, xs, ys, lv, sx, sy) }, lossC);
    const modelC = svg("g", { class: "qvg-model-contour" }, plot);
    const stepLines = {};
    for (const k of ["grad", "lm", "newton"]) stepLines[k] = svg("line", { class: "qvg-step qvg-step-" + k }, plot);
    const stepEnds = {};
    for (const k of ["grad", "lm", "newton"]) stepEnds[k] = svg("circle", { r: 3.5, class: "qvg-step qvg-step-" + k, fill: "#fff" }, plot);
    const hit = svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0, fill: "transparent", class: "qvg-map-hit" }, left);
    const handle = svg("circle", { r: 7, class: "qvg-handle", tabindex: "0", role: "slider", "aria-label": "start point; arrow keys move it" }, left);

    // Right: the loss along each step.
    const right = svg("svg", { viewBox: "0 0 " + W + " " + W, class: "qvg-panel", role: "img", "aria-label": "Loss along each step, with the quadratic models' predictions dashed" }, panels);
    const rbox = { x0: 56, x1: W - 12, y0: 28, y1: W - 40 };
    const tx = scale(0, 1, rbox.x0, rbox.x1);
    svg("clipPath", { id: ID + "-clip2" }, right).appendChild(svg("rect", { x: rbox.x0, y: rbox.y0, width: rbox.x1 - rbox.x0, height: rbox.y1 - rbox.y0 }));
    const raxes = svg("g", {}, right);
    const rplot = svg("g", { "clip-path": "url(#" + ID + "-clip2)" }, right);
    const curves = {}, models = {};
    for (const k of ["grad", "lm", "newton"]) {
      models[k] = svg("polyline", { class: "qvg-model-line qvg-step-" + k }, rplot);
      curves[k] = svg("polyline", { class: "qvg-step qvg-step-" + k }, rplot);
    }
    svg("text", { x: rbox.x0, y: 18, class: "qvg-title" }, right).textContent = "loss along each step (solid), its model (dashed)";

    const readout = html("div", { class: "qvg-readout", "aria-live": "polite" }, root);
    const instance = { state, sliders: { lambda: lam }, readout, values: null, model, handle, svgMap: left, toScreen: (p) => [sx(p[0]), sy(p[1])] };
    window.QVG.instances[ID] = instance;

    const snap = (v) => Math.min(VIEW[1], Math.max(VIEW[0], Math.round(v * 20) / 20));
    function moveTo(ev) {
      const pt = left.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      const q = pt.matrixTransform(left.getScreenCTM().inverse());
      state.p = [snap(sx.invert(q.x)), snap(sy.invert(q.y))];
      update();
    }
    let dragging = false;
    handle.addEventListener("pointerdown", (ev) => { dragging = true; handle.setPointerCapture(ev.pointerId); ev.preventDefault(); });
    handle.addEventListener("pointermove", (ev) => { if (dragging) moveTo(ev); });
    handle.addEventListener("pointerup", (ev) => { dragging = false; handle.releasePointerCapture(ev.pointerId); });
    hit.addEventListener("click", moveTo);
    handle.addEventListener("keydown", (ev) => {
      const m = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
      if (!m) return;
      ev.preventDefault();
      state.p = [snap(state.p[0] + 0.05 * m[0]), snap(state.p[1] + 0.05 * m[1])];
      update();
    });

    function update() {
      const p = state.p, lambda = state.lambda;
      const a = analyse(model, p, lambda);
      instance.values = a;
      handle.setAttribute("cx", sx(p[0])); handle.setAttribute("cy", sy(p[1]));
      handle.setAttribute("aria-valuetext", "start (" + p[0].toFixed(2) + ", " + p[1].toFixed(2) + ")");
      // model contours m(s) = L + gᵀs + ½sᵀHs, within 2.5 of the start
      const g = a.gradient, H = a.hessian;
      const M = ys.map((y) => xs.map((x) => {
        const s = [x - p[0], y - p[1]];
        return Math.hypot(s[0], s[1]) > 2.5 ? NaN : a.loss + dot(g, s) + 0.5 * quad(H, s);
      }));
      modelC.textContent = "";
      for (const dl of MODEL_DELTAS) svg("path", { d: contourPath(M, xs, ys, a.loss + dl, sx, sy) }, modelC);
      for (const k in a.steps) {
        const s = a.steps[k].s;
        const e = [p[0] + s[0], p[1] + s[1]];
        const c = (v) => Math.max(-1e4, Math.min(1e4, v));
        stepLines[k].setAttribute("x1", sx(p[0])); stepLines[k].setAttribute("y1", sy(p[1]));
        stepLines[k].setAttribute("x2", c(sx(e[0]))); stepLines[k].setAttribute("y2", c(sy(e[1])));
        stepEnds[k].setAttribute("cx", c(sx(e[0]))); stepEnds[k].setAttribute("cy", c(sy(e[1])));
      }
      // the loss along each step
      const T = 60, along = {}, modelAlong = {};
      let lo = a.loss, hi = a.loss;
      for (const k in a.steps) {
        const s = a.steps[k].s, C = k === "lm" ? a.ggn : H;
        along[k] = []; modelAlong[k] = [];
        for (let i = 0; i <= T; i++) {
          const t = i / T, st = [t * s[0], t * s[1]];
          const v = model.loss([p[0] + st[0], p[1] + st[1]]);
          along[k].push([t, v]);
          modelAlong[k].push([t, a.loss + dot(g, st) + 0.5 * quad(C, st)]);
          lo = Math.min(lo, v); hi = Math.max(hi, v);
        }
      }
      const pad = 0.08 * (hi - lo || 1);
      const ly = scale(Math.max(0, lo - pad), hi + pad, rbox.y1, rbox.y0);
      raxes.textContent = "";
      const ticks = niceTicks(Math.max(0, lo - pad), hi + pad);
      axes(raxes, { box: rbox, sx: tx, sy: ly, xticks: [0, 0.25, 0.5, 0.75, 1], yticks: ticks, yfmt: (v) => fmt(v, 2), xlabel: "fraction t of the step", ylabel: "loss L(p + t s)" });
      for (const k in along) {
        curves[k].setAttribute("points", points(along[k], tx, ly));
        models[k].setAttribute("points", points(modelAlong[k], tx, ly));
      }
      // numbers
      readout.innerHTML = "";
      const p1 = html("p", {}, readout);
      const span = (parent, cls, v, text) => html("span", { class: cls, "data-value": String(v) }, parent, text);
      p1.append("At p = (" + p[0].toFixed(2) + ", " + p[1].toFixed(2) + "): loss ");
      span(p1, "qvg-loss", a.loss, fmt(a.loss, 4));
      p1.append(", ‖g‖ = " + fmt(Math.hypot(g[0], g[1]), 4) + ", Hessian eigenvalues ");
      span(p1, "qvg-eig-min", a.eigenvalues[0], fmt(a.eigenvalues[0], 4));
      p1.append(" and ");
      span(p1, "qvg-eig-max", a.eigenvalues[1], fmt(a.eigenvalues[1], 4));
      p1.append(a.eigenvalues[0] < 0
        ? ": indefinite, so the damped Newton step goes downhill only for λ > " + fmt(-a.eigenvalues[0], 4) + "."
        : ": positive definite here, so every damped Newton step goes downhill.");
      const table = html("table", { class: "qvg-table" }, readout);
      const head = html("tr", {}, table);
      for (const t of ["step", "‖s‖", "predicted change", "actual change", "ρ"]) html("th", {}, head, t);
      for (const k of ["newton", "lm", "grad"]) {
        const st = a.steps[k], tr = html("tr", { class: "qvg-row-" + k }, table);
        html("td", { class: "qvg-step-" + k + "-text" }, tr, NAMES[k]);
        span(html("td", {}, tr), "qvg-norm", st.norm, fmt(st.norm, 3));
        span(html("td", {}, tr), "qvg-predicted", st.predicted, fmt(st.predicted, 3));
        span(html("td", {}, tr), "qvg-actual", st.actual, fmt(st.actual, 3));
        span(html("td", {}, tr), "qvg-rho", st.rho, st.predicted < 0 ? fmt(st.rho, 3) : "— (model predicts a rise)");
      }
    }

    function niceTicks(a, b) {
      const span = b - a, raw = span / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
      const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
      const out = [];
      for (let v = Math.ceil(a / step) * step; v <= b + 1e-12; v += step) out.push(round(v, 6));
      return out;
    }

    instance.update = update;
    update();
  }

  const root = mount(ID);
  if (root) build(root);
})();
