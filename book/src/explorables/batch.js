// Chapter 11: the batch size. At chapter 11's point of the 2-3-1 network,
// the clouds of mini-batch gradients ĝ_B and of damped mini-batch
// Gauss–Newton steps ŝ_B = −(Ĝ_B + λI)⁻¹ĝ_B for the B the slider picks,
// precomputed by the crate (quad_vs_grad::lessons::explorables::batch_clouds, data
// in data/batch.js): 100 seeded draws per B, shown on the plane through the
// full-batch gradient g and step s; the spreads are measured in all 13
// dimensions.
(function () {
  "use strict";
  const { svg, html, scale, round, fmt, slider, axes, ticks, points, mount } = window.QVG.common;
  const ID = "qvg-batch";
  const DATA = (window.QVG_DATA || {}).batch;

  function build(root) {
    if (!DATA) { root.textContent = "data/batch.js did not load."; return; }
    const rows = DATA.rows;
    const sizes = rows.map((r) => r.batch_size);
    const state = { index: Math.max(0, sizes.indexOf(parseInt(root.dataset.batch || "5", 10))) };
    const controls = html("div", { class: "qvg-controls" }, root);
    const bs = slider(controls, {
      id: ID + "-b", label: "batch size B", min: 0, max: rows.length - 1, step: 1, value: state.index,
      toValue: (x) => Math.round(x), format: (i) => "B = " + sizes[i] + " of " + DATA.examples,
      onInput: (i) => { state.index = i; update(); },
    });

    const panels = html("div", { class: "qvg-panels" }, root);
    const W = 360, H = 300;
    // fixed axes: the extent of the widest cloud (the smallest B)
    const extent = (key, full) => {
      let m = 0;
      for (const r of rows) for (const q of r[key]) m = Math.max(m, Math.abs(q[0] - full[0]), Math.abs(q[1] - full[1]));
      return m;
    };
    function cloudPanel(key, full, label, cls) {
      const el = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "qvg-panel", role: "img", "aria-label": label }, panels);
      const box = { x0: 52, x1: W - 12, y0: 26, y1: H - 40 };
      const r = extent(key, full) * 1.05;
      const half = Math.max(r, Math.abs(full[0]) * 0.6);
      // keep the scales equal on both axes (the box is wider than tall)
      const ratio = (box.x1 - box.x0) / (box.y1 - box.y0);
      const sx = scale(full[0] - half * ratio, full[0] + half * ratio, box.x0, box.x1);
      const sy = scale(full[1] - half, full[1] + half, box.y1, box.y0);
      svg("clipPath", { id: ID + "-clip-" + key }, el).appendChild(svg("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }));
      axes(el, {
        box, sx, sy, xticks: ticks(sx.invert(box.x0), sx.invert(box.x1), 4), yticks: ticks(sy.invert(box.y1), sy.invert(box.y0), 5),
        xfmt: (v) => fmt(v, 2), yfmt: (v) => fmt(v, 2), xlabel: "along g", ylabel: "across g (in the g–s plane)",
      });
      svg("text", { x: box.x0, y: 16, class: "qvg-title" }, el).textContent = label;
      const g = svg("g", { "clip-path": "url(#" + ID + "-clip-" + key + ")" }, el);
      svg("line", { x1: sx(0), x2: sx(0), y1: box.y0, y2: box.y1, class: "qvg-zero" }, g);
      svg("line", { x1: box.x0, x2: box.x1, y1: sy(0), y2: sy(0), class: "qvg-zero" }, g);
      const cloud = svg("g", { class: cls }, g);
      svg("line", { x1: sx(0), y1: sy(0), x2: sx(full[0]), y2: sy(full[1]), class: "qvg-full" }, g);
      svg("circle", { cx: sx(full[0]), cy: sy(full[1]), r: 4.5, class: "qvg-optimum" }, g);
      return { cloud, sx, sy };
    }
    const gp = cloudPanel("grads", DATA.grad, "mini-batch gradients ĝ_B (• full batch g)", "qvg-cloud-grad");
    const sp = cloudPanel("steps", DATA.step, "Gauss–Newton steps ŝ_B, λ = " + DATA.damping + " (• full s)", "qvg-cloud-step");

    // The spread against B, log–log, with the 1/√B law.
    const law = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "qvg-panel qvg-wide", role: "img", "aria-label": "Spread of the mini-batch gradients against the batch size, with the law" }, panels);
    const lbox = { x0: 56, x1: W - 12, y0: 26, y1: H - 40 };
    const finite = rows.filter((r) => r.batch_size < DATA.examples);
    const lx = scale(Math.log10(sizes[0]) - 0.1, Math.log10(finite[finite.length - 1].batch_size) + 0.1, lbox.x0, lbox.x1);
    const vals = finite.flatMap((r) => [r.grad_rms / DATA.grad_norm, r.grad_law / DATA.grad_norm, r.step_rms / DATA.step_norm]);
    const ly = scale(Math.log10(Math.min(...vals)) - 0.15, Math.log10(Math.max(...vals)) + 0.15, lbox.y1, lbox.y0);
    axes(law, {
      box: lbox, sx: lx, sy: ly, xticks: finite.map((r) => Math.log10(r.batch_size)), xfmt: (t) => String(Math.round(Math.pow(10, t))),
      yticks: [0.1, 0.3, 1, 3, 10].map(Math.log10).filter((t) => t >= ly.invert(lbox.y1) && t <= ly.invert(lbox.y0)), yfmt: (t) => String(round(Math.pow(10, t), 2)),
      xlabel: "batch size B (log)", ylabel: "RMS spread / full-batch length",
    });
    svg("text", { x: lbox.x0, y: 16, class: "qvg-title" }, law).textContent = "spread in all " + DATA.params + " dimensions";
    const P = (r, key, norm) => [Math.log10(r.batch_size), Math.log10(r[key] / norm)];
    svg("polyline", { points: points(finite.map((r) => P(r, "grad_law", DATA.grad_norm)), lx, ly), class: "qvg-bound" }, law);
    svg("polyline", { points: points(finite.map((r) => P(r, "grad_rms", DATA.grad_norm)), lx, ly), class: "qvg-series qvg-c-grad", fill: "none" }, law);
    svg("polyline", { points: points(finite.map((r) => P(r, "step_rms", DATA.step_norm)), lx, ly), class: "qvg-series qvg-c-step", fill: "none" }, law);
    const marker = svg("line", { class: "qvg-zero", y1: lbox.y0, y2: lbox.y1, "stroke-dasharray": "2 2" }, law);
    const dotG = svg("circle", { r: 4, class: "qvg-optimum", stroke: "#2471a3" }, law);
    const dotS = svg("circle", { r: 4, class: "qvg-optimum", stroke: "#c0392b" }, law);
    const lg = svg("g", { class: "qvg-legend" }, law);
    svg("text", { x: lbox.x1 - 4, y: lbox.y0 + 14, "text-anchor": "end", class: "qvg-c-grad-text" }, lg).textContent = "gradients ‖ĝ_B − g‖ / ‖g‖";
    svg("text", { x: lbox.x1 - 4, y: lbox.y0 + 29, "text-anchor": "end", class: "qvg-c-step-text" }, lg).textContent = "steps ‖ŝ_B − s‖ / ‖s‖";
    svg("text", { x: lbox.x1 - 4, y: lbox.y0 + 44, "text-anchor": "end" }, lg).textContent = "dashed: √(σ²/B·(N−B)/(N−1)) / ‖g‖";

    const readout = html("p", { class: "qvg-readout", "aria-live": "polite" }, root);
    const instance = { state, sliders: { batch: bs }, readout, values: null, data: DATA };
    window.QVG.instances[ID] = instance;

    function update() {
      const r = rows[state.index];
      instance.values = r;
      for (const [panel, key] of [[gp, "grads"], [sp, "steps"]]) {
        panel.cloud.textContent = "";
        for (const q of r[key]) svg("circle", { cx: panel.sx(q[0]).toFixed(1), cy: panel.sy(q[1]).toFixed(1), r: 2.6 }, panel.cloud);
      }
      const x = lx(Math.log10(Math.min(r.batch_size, finite[finite.length - 1].batch_size)));
      marker.setAttribute("x1", x); marker.setAttribute("x2", x);
      const shown = r.batch_size < DATA.examples;
      marker.style.display = dotG.style.display = dotS.style.display = shown ? "" : "none";
      if (shown) {
        const [gx, gy] = P(r, "grad_rms", DATA.grad_norm), [qx, qy] = P(r, "step_rms", DATA.step_norm);
        dotG.setAttribute("cx", lx(gx)); dotG.setAttribute("cy", ly(gy));
        dotS.setAttribute("cx", lx(qx)); dotS.setAttribute("cy", ly(qy));
      }
      readout.innerHTML = "";
      const span = (cls, v, text) => html("span", { class: cls, "data-value": String(v) }, readout, text);
      readout.append("B = " + r.batch_size + ", " + DATA.draws + " draws. Gradients: RMS ‖ĝ_B − g‖ = ");
      span("qvg-c-grad-text qvg-grad-rms", r.grad_rms, fmt(r.grad_rms, 4));
      readout.append(" (the 1/B law gives ");
      span("qvg-grad-law", r.grad_law, fmt(r.grad_law, 4));
      readout.append("), against ‖g‖ = " + fmt(DATA.grad_norm, 4) + ". Gauss–Newton steps: RMS ‖ŝ_B − s‖ = ");
      span("qvg-c-step-text qvg-step-rms", r.step_rms, fmt(r.step_rms, 4));
      readout.append(", against ‖s‖ = " + fmt(DATA.step_norm, 4) + ".");
    }
    instance.update = update;
    update();
  }

  const root = mount(ID);
  if (root) build(root);
})();
