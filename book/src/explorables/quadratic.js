// The quadratic bowl of chapters 2 and 3, as the crate defines it
// (quad_vs_grad::landscapes::Quadratic): f(x) = ½ xᵀHx with
// H = R(φ) diag(1, κ) R(φ)ᵀ, the long axis (eigenvalue 1) at angle φ, the
// start 1.5 from the minimum at φ + 45°. Gradient descent and the heavy
// ball follow the crate's update rule (quad_vs_grad::solvers::Sgd):
//   w_k = β w_{k−1} + g_k,  x_{k+1} = x_k − η w_k   (β = 0: plain GD).
// The browser test checks every function here against the crate's numbers
// (tests/explorables/checks.json) to 1e-12.
(function () {
  "use strict";
  const QVG = (window.QVG = window.QVG || {});
  if (QVG.quadratic) return;

  function hessian(kappa, angle) {
    const c = Math.cos(angle), s = Math.sin(angle);
    // R diag(1, κ) Rᵀ with R = [[c, −s], [s, c]]
    const a00 = c * 1 * c + -s * kappa * -s;
    const a01 = c * 1 * s + -s * kappa * c;
    const a10 = s * 1 * c + c * kappa * -s;
    const a11 = s * 1 * s + c * kappa * c;
    const off = 0.5 * (a01 + a10);
    return [[a00, off], [off, a11]];
  }

  function start(angle) {
    const t = angle + Math.PI / 4;
    return [1.5 * Math.cos(t), 1.5 * Math.sin(t)];
  }

  // Iterates x_0 … x_steps (fewer if the path leaves every float).
  function path(lr, beta, kappa, angle, steps) {
    const h = hessian(kappa, angle);
    let x = start(angle);
    let w = [0, 0];
    const out = [x.slice()];
    for (let k = 0; k < steps; k++) {
      const g = [h[0][0] * x[0] + h[0][1] * x[1], h[1][0] * x[0] + h[1][1] * x[1]];
      w = [w[0] * beta + g[0], w[1] * beta + g[1]];
      x = [x[0] + w[0] * -lr, x[1] + w[1] * -lr];
      if (!(isFinite(x[0]) && isFinite(x[1]))) break;
      out.push(x.slice());
    }
    return out;
  }

  function loss(h, x) {
    return 0.5 * (x[0] * (h[0][0] * x[0] + h[0][1] * x[1]) + x[1] * (h[1][0] * x[0] + h[1][1] * x[1]));
  }

  // The error's components along the eigenvectors: (flat, steep).
  function eigenErrors(pts, angle) {
    const c = Math.cos(angle), s = Math.sin(angle);
    return pts.map((p) => [c * p[0] + s * p[1], -s * p[0] + c * p[1]]);
  }

  // |1 − ημ| for μ = 1 and μ = κ.
  function factors(lr, kappa) {
    return [Math.abs(1 - lr * 1), Math.abs(1 - lr * kappa)];
  }

  // The largest modulus of the roots of ζ² − aζ + c (the crate's root_modulus).
  function rootModulus(a, c) {
    const d = a * a - 4 * c;
    if (d < 0) return Math.sqrt(c);
    const s = Math.sqrt(d);
    return Math.max(Math.abs(a + s), Math.abs(a - s)) / 2;
  }

  // Spectral radius of the heavy ball's iteration matrix
  // M(μ) = [[1 + β − ημ, −β], [1, 0]]: trace 1 + β − ημ, determinant β.
  function modeRate(lr, beta, mu) {
    return rootModulus(1 + beta - lr * mu, beta);
  }

  function heavyBallRate(lr, beta, eigenvalues) {
    return eigenvalues.reduce((m, mu) => Math.max(m, modeRate(lr, beta, mu)), 0);
  }

  function criticalBeta(lr, mu) {
    const r = 1 - Math.sqrt(lr * mu);
    return r * r;
  }

  // Polyak's tuning on eigenvalues [lo, hi].
  function polyak(lo, hi) {
    const sl = Math.sqrt(lo), sh = Math.sqrt(hi);
    const lr = 4 / ((sh + sl) * (sh + sl));
    const r = (sh - sl) / (sh + sl);
    return { lr: lr, beta: r * r };
  }

  QVG.quadratic = { hessian, start, path, loss, eigenErrors, factors, modeRate, heavyBallRate, criticalBeta, polyak };
})();
