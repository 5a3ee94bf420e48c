//! The full-batch cost of a 2-D plane problem on a whole grid at once
//! ([`XorProblem::cost_grid`]): the loss pictures evaluate the same loss as
//! the optimizers, only organised for many points.

use ndarray::Array2;

use super::{Parameterisation, XorProblem};
use crate::error::{Error, Result};

/// Every this many examples the running product of `1 + e^{−|z|}` terms
/// is folded into its logarithm (each term is at most 2, so the product
/// stays below `2^512`, far from overflow).
const FOLD: usize = 512;

/// The most points [`XorProblem::cost_grid`] evaluates at once: 4096²
/// (128 MiB of values).
pub const MAX_GRID_CELLS: usize = 4096 * 4096;

impl XorProblem {
    /// The full-batch cost `L(p)` (on [`XorProblem::data`], whatever the
    /// active mini-batch) at every point of the grid `xs × ys` of a 2-D
    /// plane problem: `out[[j, i]] = L((xs[i], ys[j]))`, an `ys.len() ×
    /// xs.len()` array.
    ///
    /// The values are those of the problem's
    /// [`cost`](argmin::core::CostFunction::cost) on the full batch (the same
    /// binary cross-entropy from logits, `softplus(z) − y z` with
    /// `softplus(z) = max(z, 0) + ln(1 + e^{−|z|})`), to rounding: a test
    /// checks `1e−12` relative agreement at random grid points. What makes
    /// it fast:
    ///
    /// - the layers before the first one the plane moves do not depend on
    ///   `p`, so they are evaluated once per example; that layer's
    ///   pre-activation is affine in `p`,
    ///   `z(p) = Ŵ(θ₀) â + p₁ Ŵ(d₁) â + p₂ Ŵ(d₂) â`, so when the plane moves
    ///   only output weights ([`XorProblem::reference`]) a grid point costs one
    ///   multiply-add pair per example;
    /// - the logarithms of all examples are taken at once: with
    ///   `e_n = e^{−|z_n|} ∈ (0, 1]`, `Σₙ ln(1 + e_n) = ln(1 + s)` where
    ///   `1 + s = Πₙ (1 + e_n)` is accumulated as `s ← s + e_n + s e_n`
    ///   (all terms non-negative, so `s`, and with it the loss, keeps full
    ///   relative accuracy even when it is tiny). One `exp` per example and
    ///   one `ln_1p` per grid point, instead of one of each per example;
    /// - when only the output layer moves and every label is 0 or 1 (the
    ///   reference slice), the logit is affine in `p` and `e_n` factorises
    ///   into a factor of the column and a factor of the row (see
    ///   `Factorised` in the source): the exponentials are taken once per
    ///   column and per row, and a grid point costs a few multiply-adds per
    ///   example, with no `exp` at all;
    /// - rows of the grid are shared among the available cores
    ///   (`std::thread::scope`). Each value is computed by the same
    ///   arithmetic whatever the number of threads, so the result is
    ///   bit-identical on any machine with IEEE `f64`, and it involves no
    ///   BLAS kernel.
    ///
    /// # Errors
    /// [`Error::Shape`] unless the problem is a 2-D plane (a full network
    /// has no grid; project it onto a plane first, e.g.
    /// [`crate::plot::pca_plane`]), or if the grid has more than
    /// [`MAX_GRID_CELLS`] points (checked before anything is allocated).
    pub fn cost_grid(&self, xs: &[f64], ys: &[f64]) -> Result<Array2<f64>> {
        let eval = PlaneCost::new(self)?;
        let (nx, ny) = (xs.len(), ys.len());
        if nx.checked_mul(ny).map_or(true, |c| c > MAX_GRID_CELLS) {
            return Err(Error::Shape(format!(
                "a {nx} × {ny} grid has more than {MAX_GRID_CELLS} points"
            )));
        }
        let mut out = vec![0.0; nx * ny];
        if nx == 0 || ny == 0 {
            return Ok(Array2::zeros((ny, nx)));
        }
        // Rows per thread; small grids stay on the calling thread.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8)
            .min(ny)
            .min((nx * ny * self.data().len()).div_ceil(200_000).max(1));
        let rows_per = ny.div_ceil(threads);
        let eval = &eval;
        if let Some(f) = Factorised::new(eval, xs, ys) {
            let f = &f;
            let fill = |rows: &mut [f64], j0: usize| f.fill_rows(rows, j0, nx);
            if threads <= 1 {
                fill(&mut out, 0);
            } else {
                std::thread::scope(|sc| {
                    for (k, chunk) in out.chunks_mut(rows_per * nx).enumerate() {
                        sc.spawn(move || fill(chunk, k * rows_per));
                    }
                });
            }
            return Array2::from_shape_vec((ny, nx), out).map_err(|e| Error::Shape(e.to_string()));
        }
        let fill = |rows: &mut [f64], j0: usize| {
            let mut scratch = Scratch::default();
            for (dj, row) in rows.chunks_mut(nx).enumerate() {
                let y = ys[j0 + dj];
                for (o, &x) in row.iter_mut().zip(xs) {
                    *o = eval.cost(x, y, &mut scratch);
                }
            }
        };
        if threads <= 1 {
            fill(&mut out, 0);
        } else {
            std::thread::scope(|sc| {
                for (k, chunk) in out.chunks_mut(rows_per * nx).enumerate() {
                    let fill = &fill;
                    sc.spawn(move || fill(chunk, k * rows_per));
                }
            });
        }
        Array2::from_shape_vec((ny, nx), out).map_err(|e| Error::Shape(e.to_string()))
    }
}

/// The full-batch cost on a 2-D plane through weight space, with the layers
/// the plane does not move evaluated once.
struct PlaneCost<'a> {
    problem: &'a XorProblem,
    /// First layer with a moving weight.
    first: usize,
    /// Width of that layer's output.
    width: usize,
    /// Per example (row-major `N × width`): that layer's pre-activations at
    /// `p = 0` and their derivatives along `d₁` and `d₂`.
    z0: Vec<f64>,
    c1: Vec<f64>,
    c2: Vec<f64>,
    origin: Vec<f64>,
    d1: Vec<f64>,
    d2: Vec<f64>,
}

/// Per-point scratch: θ(p) and two activation buffers.
#[derive(Default)]
struct Scratch {
    theta: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
}

/// The running `Σ ln(1 + e_n)` as `folded + ln(1 + s)`.
#[derive(Default)]
pub(super) struct LogSum {
    folded: f64,
    s: f64,
    count: usize,
}

impl LogSum {
    /// Adds `ln(1 + e)` for `e ∈ [0, 1]` (or NaN).
    #[inline]
    pub(super) fn add(&mut self, e: f64) {
        self.s += e + self.s * e;
        self.count += 1;
        if self.count == FOLD {
            self.folded += self.s.ln_1p();
            self.s = 0.0;
            self.count = 0;
        }
    }

    pub(super) fn total(&self) -> f64 {
        self.folded + self.s.ln_1p()
    }
}

/// `max(z, 0) − y z`, the part of `softplus(z) − y z` without a logarithm,
/// and `e^{−|z|}` for the rest.
#[inline]
pub(super) fn split_bce(z: f64, y: f64) -> (f64, f64) {
    (z.max(0.0) - y * z, (-z.abs()).exp())
}

impl<'a> PlaneCost<'a> {
    fn new(problem: &'a XorProblem) -> Result<Self> {
        let plane = match problem.parameterisation() {
            Parameterisation::Plane(pl) if pl.directions.nrows() == 2 => pl,
            Parameterisation::Plane(pl) => {
                return Err(Error::Shape(format!(
                    "a cost grid needs a 2-D slice; this plane has {} directions",
                    pl.directions.nrows()
                )))
            }
            Parameterisation::Full => {
                return Err(Error::Shape(
                    "a cost grid needs a 2-D slice; project a full-network problem onto a plane first (pca_plane)"
                        .into(),
                ))
            }
        };
        let mlp = problem.mlp();
        let layers = mlp.num_layers();
        let origin = plane.origin.to_vec();
        let d1 = plane.directions.row(0).to_vec();
        let d2 = plane.directions.row(1).to_vec();
        let first = (0..layers)
            .find(|&l| {
                let (off, rows, cols) = mlp.layer_block(l);
                (off..off + rows * cols).any(|k| d1[k] != 0.0 || d2[k] != 0.0)
            })
            .unwrap_or(layers - 1);
        let data = problem.data();
        let width = mlp.widths()[first + 1];
        let n = data.len();
        let (mut z0, mut c1, mut c2) = (
            Vec::with_capacity(n * width),
            Vec::with_capacity(n * width),
            Vec::with_capacity(n * width),
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for row in data.x.rows() {
            a.clear();
            a.extend(row.iter().copied());
            for l in 0..first {
                affine(mlp.layer_block(l), &origin, &a, &mut b);
                b.iter_mut().for_each(|v| *v = v.tanh());
                std::mem::swap(&mut a, &mut b);
            }
            // The pre-activation is affine in p: Ŵ(θ₀ + p₁d₁ + p₂d₂) â
            // = Ŵ(θ₀) â + p₁ Ŵ(d₁) â + p₂ Ŵ(d₂) â (â holds the constant 1
            // that multiplies the bias entries).
            let block = mlp.layer_block(first);
            for (dir, out) in [(&origin, &mut z0), (&d1, &mut c1), (&d2, &mut c2)] {
                affine(block, dir, &a, &mut b);
                out.extend_from_slice(&b);
            }
        }
        Ok(Self {
            problem,
            first,
            width,
            z0,
            c1,
            c2,
            origin,
            d1,
            d2,
        })
    }

    /// The cost at `p = (x, y)`.
    fn cost(&self, x: f64, y: f64, s: &mut Scratch) -> f64 {
        let mlp = self.problem.mlp();
        let layers = mlp.num_layers();
        let data = self.problem.data();
        let n = data.len() as f64;
        let mut linear = 0.0;
        let mut logs = LogSum::default();
        if self.first + 1 == layers {
            // Only the output layer moves: z_n = z0_n + x c1_n + y c2_n.
            for (((&z0, &c1), &c2), &label) in
                self.z0.iter().zip(&self.c1).zip(&self.c2).zip(&data.y)
            {
                let (lin, e) = split_bce(z0 + x * c1 + y * c2, label);
                linear += lin;
                logs.add(e);
            }
            return (linear + logs.total()) / n;
        }
        s.theta.clear();
        s.theta.extend(
            self.origin
                .iter()
                .zip(&self.d1)
                .zip(&self.d2)
                .map(|((&o, &a), &b)| o + x * a + y * b),
        );
        let w = self.width;
        for (k, &label) in data.y.iter().enumerate() {
            let r = k * w..(k + 1) * w;
            s.a.clear();
            s.a.extend(
                self.z0[r.clone()]
                    .iter()
                    .zip(&self.c1[r.clone()])
                    .zip(&self.c2[r])
                    .map(|((&z, &c1), &c2)| (z + x * c1 + y * c2).tanh()),
            );
            for l in self.first + 1..layers {
                affine(mlp.layer_block(l), &s.theta, &s.a, &mut s.b);
                if l + 1 < layers {
                    s.b.iter_mut().for_each(|v| *v = v.tanh());
                }
                std::mem::swap(&mut s.a, &mut s.b);
            }
            let (lin, e) = split_bce(s.a[0], label);
            linear += lin;
            logs.add(e);
        }
        (linear + logs.total()) / n
    }
}

/// Largest `|exponent|` a precomputed factor of [`Factorised`] may have, so
/// that no factor and no product of two overflows or underflows to zero
/// where `e^{−|u|}` would not.
const FACTOR_EXP_LIMIT: f64 = 300.0;

/// The cost grid of a plane that moves only the output layer, with no
/// exponential per grid point and example.
///
/// With labels `y_n ∈ {0, 1}` and `t_n = 1 − 2 y_n`, the loss term is
/// `softplus(z) − y z = softplus(u)` with `u_n = t_n z_n` and, on the grid,
/// `u_n(x_i, y_j) = a_n x_i + (b_n y_j + c_n)` (`a = t c₁`, `b = t c₂`,
/// `c = t z₀`). So `softplus(u) = max(u, 0) + ln(1 + e^{−|u|})` with
/// `e^{−|u|} = e^{∓a x} · e^{∓(b y + c)}` (the sign that of `u`): the
/// exponentials factorise into a column factor and a row factor, `2 N` of each
/// computed once per column and per row, and a grid point costs a few
/// multiply-adds per example. The logarithms are taken as in [`LogSum`], so a
/// tiny loss keeps its relative accuracy.
struct Factorised {
    /// Examples.
    n: usize,
    /// Per example: `a_n` and `b_n y + c_n` per row, see above.
    a: Vec<f64>,
    /// Per column `i` (row-major `nx × n`): `e^{−a_n x_i}` and `e^{a_n x_i}`.
    col_neg: Vec<f64>,
    col_pos: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    xs: Vec<f64>,
    ys: Vec<f64>,
}

impl Factorised {
    /// The factorised evaluation, or `None` unless the plane moves only the
    /// output layer (of width 1), every label is 0 or 1, and every factor
    /// stays far from overflow on the grid.
    fn new(eval: &PlaneCost<'_>, xs: &[f64], ys: &[f64]) -> Option<Self> {
        let layers = eval.problem.mlp().num_layers();
        if eval.first + 1 != layers || eval.width != 1 {
            return None;
        }
        let labels = &eval.problem.data().y;
        let mut t = Vec::with_capacity(labels.len());
        for &y in labels {
            t.push(match y {
                0.0 => 1.0,
                1.0 => -1.0,
                _ => return None,
            });
        }
        let a: Vec<f64> = t.iter().zip(&eval.c1).map(|(t, c)| t * c).collect();
        let b: Vec<f64> = t.iter().zip(&eval.c2).map(|(t, c)| t * c).collect();
        let c: Vec<f64> = t.iter().zip(&eval.z0).map(|(t, c)| t * c).collect();
        let extreme = |v: &[f64]| v.iter().fold(0.0_f64, |m, &x| m.max(x.abs()));
        let (xm, ym) = (extreme(xs), extreme(ys));
        let bound = a
            .iter()
            .zip(&b)
            .zip(&c)
            .map(|((a, b), c)| (a.abs() * xm).max(b.abs() * ym + c.abs()))
            .fold(0.0_f64, f64::max);
        let finite = a.iter().chain(&b).chain(&c).all(|v| v.is_finite());
        if !finite || bound.is_nan() || bound > FACTOR_EXP_LIMIT {
            return None;
        }
        let n = a.len();
        let mut col_neg = Vec::with_capacity(xs.len() * n);
        let mut col_pos = Vec::with_capacity(xs.len() * n);
        for &x in xs {
            for &an in &a {
                col_neg.push((-an * x).exp());
                col_pos.push((an * x).exp());
            }
        }
        Some(Self {
            n,
            a,
            col_neg,
            col_pos,
            b,
            c,
            xs: xs.to_vec(),
            ys: ys.to_vec(),
        })
    }

    /// Fills `rows` (whole rows of `nx` values) starting at row `j0`.
    fn fill_rows(&self, rows: &mut [f64], j0: usize, nx: usize) {
        let n = self.n;
        let (mut v, mut row_neg, mut row_pos) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for (dj, row) in rows.chunks_mut(nx).enumerate() {
            let y = self.ys[j0 + dj];
            for k in 0..n {
                v[k] = self.b[k] * y + self.c[k];
                row_neg[k] = (-v[k]).exp();
                row_pos[k] = v[k].exp();
            }
            // Four columns at a time: independent chains of the running
            // product keep the pipeline full.
            let mut i = 0;
            while i < nx {
                let m = (nx - i).min(4);
                let mut lin = [0.0; 4];
                let mut folded = [0.0; 4];
                let mut s = [0.0; 4];
                let mut count = 0;
                for k in 0..n {
                    let (ak, vk, rn, rp) = (self.a[k], v[k], row_neg[k], row_pos[k]);
                    for q in 0..m {
                        let col = (i + q) * n + k;
                        let u = ak * self.xs[i + q] + vk;
                        let e = if u > 0.0 {
                            lin[q] += u;
                            self.col_neg[col] * rn
                        } else {
                            self.col_pos[col] * rp
                        };
                        s[q] += e + s[q] * e;
                    }
                    count += 1;
                    if count == FOLD {
                        for q in 0..m {
                            folded[q] += s[q].ln_1p();
                            s[q] = 0.0;
                        }
                        count = 0;
                    }
                }
                for q in 0..m {
                    row[i + q] = (lin[q] + folded[q] + s[q].ln_1p()) / n as f64;
                }
                i += m;
            }
        }
    }
}

/// `out = Ŵ â` for one example, with `Ŵ` the row-major `[W | b]` block
/// `(off, rows, cols)` of `theta`.
fn affine((off, rows, cols): (usize, usize, usize), theta: &[f64], a: &[f64], out: &mut Vec<f64>) {
    out.clear();
    for r in 0..rows {
        let w = &theta[off + r * cols..off + (r + 1) * cols];
        let mut z = w[cols - 1];
        for (wi, ai) in w[..cols - 1].iter().zip(a) {
            z += wi * ai;
        }
        out.push(z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::mlp::softplus;
    use argmin::core::CostFunction;
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn log_sum_matches_termwise_logs_and_keeps_tiny_values() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [1usize, 3, 200, 511, 512, 513, 2000] {
            let es: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let mut ls = LogSum::default();
            es.iter().for_each(|&e| ls.add(e));
            let want: f64 = es.iter().map(|e| e.ln_1p()).sum();
            assert!((ls.total() - want).abs() <= 1e-13 * want, "n = {n}");
        }
        // Far in the tails the sum is tiny: relative accuracy is kept.
        let mut ls = LogSum::default();
        let es = [1e-30, 3e-25, 2e-28];
        es.iter().for_each(|&e| ls.add(e));
        let want: f64 = es.iter().sum();
        assert!((ls.total() - want).abs() <= 1e-15 * want);
        // softplus(z) − y z split in two parts.
        for (z, y) in [(3.0, 1.0), (-2.0, 1.0), (0.5, 0.0), (-40.0, 0.0)] {
            let (lin, e) = split_bce(z, y);
            assert!((lin + e.ln_1p() - (softplus(z) - y * z)).abs() < 1e-15);
        }
    }

    #[test]
    fn only_2d_planes_have_a_cost_grid() {
        let full = XorProblem::full(Dataset::separable(), &[2]).unwrap();
        assert!(matches!(
            full.cost_grid(&[0.0], &[0.0]),
            Err(Error::Shape(_))
        ));
        let g = XorProblem::reference().cost_grid(&[], &[1.0]).unwrap();
        assert_eq!(g.dim(), (1, 0));
        let g = XorProblem::reference()
            .cost_grid(&[0.0, 1.0, 2.0], &[-1.0, 0.5])
            .unwrap();
        assert_eq!(g.dim(), (2, 3));
        let want = XorProblem::reference().cost(&array![2.0, 0.5]).unwrap();
        assert!((g[[1, 2]] - want).abs() <= 1e-12 * want);
    }

    /// The grid, cell by cell, against the per-point evaluation and the
    /// problem's own cost.
    fn check_grid(problem: &XorProblem, xs: &[f64], ys: &[f64], factorised: bool) {
        let eval = PlaneCost::new(problem).unwrap();
        assert_eq!(Factorised::new(&eval, xs, ys).is_some(), factorised);
        let g = problem.cost_grid(xs, ys).unwrap();
        let mut scratch = Scratch::default();
        let mut smallest = f64::INFINITY;
        for (j, &y) in ys.iter().enumerate() {
            for (i, &x) in xs.iter().enumerate() {
                let v = g[[j, i]];
                let point = eval.cost(x, y, &mut scratch);
                let exact = problem.cost(&array![x, y]).unwrap();
                for want in [point, exact] {
                    assert!(
                        (v - want).abs() <= 1e-12 * want,
                        "{v} vs {want} at ({x}, {y})"
                    );
                }
                smallest = smallest.min(v);
            }
        }
        assert!(smallest > 0.0);
    }

    #[test]
    fn factorised_grid_matches_the_cost_everywhere() {
        let reference = XorProblem::reference();
        let axis = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
                .collect()
        };
        // The reference view, and a wide one where the logits reach ±100:
        // losses from tiny to large and every sign pattern.
        check_grid(&reference, &axis(-3.0, 3.0, 23), &axis(-3.0, 3.0, 19), true);
        check_grid(
            &reference,
            &axis(-60.0, 60.0, 31),
            &axis(-60.0, 60.0, 29),
            true,
        );
        // An output plane of a deeper network on separable data, at a
        // random origin.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mlp = crate::mlp::Mlp::new(&[2, 4, 3, 1]).unwrap();
        let d = mlp.num_params();
        let (off, _, cols) = mlp.layer_block(mlp.num_layers() - 1);
        let origin: ndarray::Array1<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let mut dirs = ndarray::Array2::zeros((2, d));
        for j in 0..2 {
            for i in off..off + cols {
                dirs[[j, i]] = rng.random_range(-1.0..1.0);
            }
        }
        let plane = Parameterisation::Plane(crate::problem::Plane {
            origin,
            directions: dirs,
        });
        let deep = XorProblem::new(Dataset::separable(), mlp, plane).unwrap();
        check_grid(&deep, &axis(-40.0, 40.0, 27), &axis(-40.0, 40.0, 25), true);
        // Past the factors' range the grid takes the per-point path.
        check_grid(&reference, &axis(-2e3, 2e3, 9), &axis(-2e3, 2e3, 7), false);
        // Planes through hidden weights never factorise.
        check_grid(
            &XorProblem::hidden_slice(),
            &axis(-3.0, 3.0, 9),
            &axis(-3.0, 3.0, 7),
            false,
        );
    }
}
