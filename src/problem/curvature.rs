//! Everything [`XorProblem`] evaluates at a point `p`: loss, gradient,
//! Hessian (argmin's traits), curvature-vector products, the GGN, the Fisher
//! variants and K-FAC factors (the crate's [`crate::curvature`] traits), and
//! mini-batching ([`MiniBatched`]).
//!
//! Each quantity has exactly one name, that of the trait it belongs to.
//! Every evaluation uses the active batch (see [`MiniBatched::set_batch`])
//! except `full_batch_cost` and `full_batch_gradient`.

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Parameterisation, XorProblem};
use crate::curvature::Recordable;
use crate::curvature::{
    CurvatureProducts, FisherKind, KfacCurvature, KfacFactors, KfacLayer, MiniBatched,
};
use crate::error::{Error, Result};
use crate::mlp::sigmoid;

/// Per-example weights `w_n` of a Fisher-type matrix `Jᵀ diag(w) J / N`
/// (see [`crate::curvature`] for the definitions).
fn fisher_weights(probs: &Array1<f64>, labels: &Array1<f64>, kind: FisherKind) -> Array1<f64> {
    match kind {
        FisherKind::Exact => probs.mapv(|s| s * (1.0 - s)),
        FisherKind::Empirical => Array1::from_iter(
            probs
                .iter()
                .zip(labels.iter())
                .map(|(&s, &y)| (s - y) * (s - y)),
        ),
        FisherKind::MonteCarlo { samples, seed } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s_count = samples.max(1);
            probs.mapv(|s| {
                let mut acc = 0.0;
                for _ in 0..s_count {
                    let y_hat = if rng.random::<f64>() < s { 1.0 } else { 0.0 };
                    acc += (s - y_hat) * (s - y_hat);
                }
                acc / s_count as f64
            })
        }
    }
}

impl XorProblem {
    /// Output Jacobian `J_p` (`N × k`) on the active batch: row `n` is `∇_p z_n`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    pub fn output_jacobian(&self, p: &Array1<f64>) -> Result<Array2<f64>> {
        self.check_p(p)?;
        let j = self
            .mlp
            .output_jacobian(self.theta(p)?.view(), self.active_data().x.view())?;
        self.param.reduce_jacobian(j)
    }

    /// Predicted probabilities `σ(z_n)` on the active batch.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    pub fn probabilities(&self, p: &Array1<f64>) -> Result<Array1<f64>> {
        self.check_p(p)?;
        let z = self
            .mlp
            .logits(self.theta(p)?.view(), self.active_data().x.view())?;
        Ok(z.mapv(sigmoid))
    }

    /// Dense Fisher-type matrix `J_pᵀ diag(w) J_p / N` of the given kind
    /// (`k × k`) on the active batch. [`FisherKind::Exact`] gives the GGN
    /// ([`CurvatureProducts::ggn`] is this method with that kind).
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    pub fn fisher(&self, p: &Array1<f64>, kind: FisherKind) -> Result<Array2<f64>> {
        if matches!(self.param, Parameterisation::Full) {
            self.check_p(p)?;
            let data = self.active_data();
            return self
                .mlp
                .jacobian_gram(self.theta(p)?.view(), data.x.view(), |z| {
                    fisher_weights(&z.mapv(sigmoid), &data.y, kind)
                });
        }
        let j = self.output_jacobian(p)?;
        let probs = self.probabilities(p)?;
        let w = fisher_weights(&probs, &self.active_data().y, kind);
        let n = self.active_data().len() as f64;
        let wj = &j * &w.insert_axis(Axis(1));
        let f = j.t().fdot(&wj) / n;
        let ft = f.t().to_owned();
        Ok((f + ft) * 0.5)
    }

    /// Loss on `data` (the active batch or the full set).
    fn loss_on(&self, p: &Array1<f64>, full: bool) -> Result<f64> {
        self.check_p(p)?;
        if let (Some(head), Some(p)) = (self.frozen_head(full), p.as_slice()) {
            return Ok(head.cost(p));
        }
        let data = if full { &self.data } else { self.active_data() };
        self.mlp.loss(self.theta(p)?.view(), data)
    }

    /// Gradient `∇_p L` on `data` (the active batch or the full set).
    fn gradient_on(&self, p: &Array1<f64>, full: bool) -> Result<Array1<f64>> {
        self.check_p(p)?;
        if let (Some(head), Some(p)) = (self.frozen_head(full), p.as_slice()) {
            return Ok(Array1::from(head.gradient(p)));
        }
        let data = if full { &self.data } else { self.active_data() };
        let g = self.mlp.gradient(self.theta(p)?.view(), data)?;
        self.param.reduce_vec(g)
    }

    /// Dense Hessian `∇²_p L` on the active batch (`k × k`).
    fn dense_hessian(&self, p: &Array1<f64>) -> Result<Array2<f64>> {
        self.check_p(p)?;
        let theta = self.theta(p)?;
        match &self.param {
            Parameterisation::Full => self.mlp.hessian(theta.view(), self.active_data()),
            Parameterisation::Plane(pl) => {
                // k Hessian-vector products instead of the D_θ × D_θ matrix.
                let k = pl.directions.nrows();
                let mut h = Array2::zeros((k, k));
                for j in 0..k {
                    let hv =
                        self.mlp
                            .hvp(theta.view(), self.active_data(), pl.directions.row(j))?;
                    h.column_mut(j).assign(&pl.directions.fdot(&hv));
                }
                let ht = h.t().to_owned();
                Ok((h + ht) * 0.5)
            }
        }
    }

    /// `∇²_p L · v`, matrix-free (Pearlmutter's R-operator).
    fn hvp(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>> {
        self.check_p(p)?;
        self.check_p(v)?;
        let hv = self.mlp.hvp(
            self.theta(p)?.view(),
            self.active_data(),
            self.param.expand_vec(v)?.view(),
        )?;
        self.param.reduce_vec(hv)
    }

    /// `G v = J_pᵀ Λ J_p v / N`, matrix-free (one R-forward pass and one
    /// back-propagation).
    fn gvp(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>> {
        self.check_p(p)?;
        self.check_p(v)?;
        let g = self.mlp.ggn_vec(
            self.theta(p)?.view(),
            self.active_data(),
            self.param.expand_vec(v)?.view(),
        )?;
        self.param.reduce_vec(g)
    }

    /// Per-layer K-FAC factors `A_l`, `G_l` at `p` on the active batch.
    fn factors(&self, p: &Array1<f64>, kind: FisherKind) -> Result<KfacFactors> {
        self.check_p(p)?;
        let theta = self.theta(p)?;
        let data = self.active_data();
        let layers = self
            .mlp
            .kfac_factors(theta.view(), data.x.view(), |z| {
                fisher_weights(&z.mapv(sigmoid), &data.y, kind)
            })?
            .into_iter()
            .map(|f| KfacLayer {
                offset: f.offset,
                a: f.a,
                g: f.g,
            })
            .collect();
        Ok(KfacFactors {
            layers,
            param: self.param.clone(),
            num_params: self.mlp.num_params(),
        })
    }

    /// Restricts evaluations to the examples `indices`, or lifts the restriction.
    fn restrict(&mut self, indices: Option<&[usize]>) -> Result<()> {
        self.batch = match indices {
            None => None,
            Some(ix) => {
                if ix.is_empty() || ix.iter().any(|&i| i >= self.data.len()) {
                    return Err(Error::InvalidData(format!(
                        "a batch needs indices in 0..{}",
                        self.data.len()
                    )));
                }
                Some(self.data.subset(ix)?)
            }
        };
        Ok(())
    }
}

/// Mean binary cross-entropy on the active batch.
impl CostFunction for XorProblem {
    type Param = Array1<f64>;
    type Output = f64;

    /// `L(p)` on the active batch.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, ArgminError> {
        Ok(self.loss_on(p, false)?)
    }
}

/// `∇_p L = D ∇_θ L` on the active batch.
impl Gradient for XorProblem {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    /// `∇_p L` on the active batch.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, ArgminError> {
        Ok(self.gradient_on(p, false)?)
    }
}

/// The dense Hessian `∇²_p L = D ∇²_θ L Dᵀ` on the active batch (`k × k`),
/// from `k` Hessian-vector products on a plane.
impl Hessian for XorProblem {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;

    /// `∇²_p L` on the active batch.
    ///
    /// # Errors
    /// [`Error::Shape`] if `p` has the wrong length.
    fn hessian(&self, p: &Self::Param) -> std::result::Result<Array2<f64>, ArgminError> {
        Ok(self.dense_hessian(p)?)
    }
}

/// Exact curvature products on the active batch: Hessian-vector products by
/// the R-operator, Gauss–Newton-vector products `J_pᵀ Λ J_p v / N` with
/// `Λ = diag(σ(z_n)(1 − σ(z_n)))`, and the dense GGN (equal to the exact
/// Fisher, [`XorProblem::fisher`] with [`FisherKind::Exact`]).
impl CurvatureProducts for XorProblem {
    fn hessian_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        Ok(self.hvp(p, v)?)
    }

    fn ggn_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        Ok(self.gvp(p, v)?)
    }

    fn ggn(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        Ok(self.fisher(p, FisherKind::Exact)?)
    }
}

/// Per-layer factors `A_l = E[â âᵀ]`, `G_l = E[g gᵀ]` on the active batch,
/// with the output signals weighted by the chosen Fisher kind.
impl KfacCurvature for XorProblem {
    fn kfac_factors(
        &self,
        p: &Array1<f64>,
        kind: FisherKind,
    ) -> std::result::Result<KfacFactors, ArgminError> {
        Ok(self.factors(p, kind)?)
    }
}

/// Mini-batches are subsets of the problem's data set.
impl MiniBatched for XorProblem {
    fn num_examples(&self) -> usize {
        self.data.len()
    }

    /// # Errors
    /// [`Error::InvalidData`] if the batch is empty or an index is out of range.
    fn set_batch(&mut self, indices: Option<&[usize]>) -> std::result::Result<(), ArgminError> {
        Ok(self.restrict(indices)?)
    }

    fn full_batch_cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        Ok(self.loss_on(p, true)?)
    }

    fn full_batch_gradient(
        &self,
        p: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        Ok(self.gradient_on(p, true)?)
    }
}

impl Recordable for XorProblem {
    fn race_name(&self) -> String {
        self.name().to_string()
    }

    fn default_start(&self) -> Option<Array1<f64>> {
        self.start().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use ndarray::array;

    #[test]
    fn batches_restrict_every_evaluation_but_the_full_batch_ones() {
        let mut pr = XorProblem::output_slice(Dataset::reference());
        let p = array![0.7, -1.3];
        let full = pr.cost(&p).unwrap();
        let full_g = pr.gradient(&p).unwrap();
        pr.set_batch(Some(&[0, 5, 9])).unwrap();
        assert_ne!(pr.cost(&p).unwrap(), full);
        assert_eq!(pr.full_batch_cost(&p).unwrap(), full);
        assert_eq!(pr.full_batch_gradient(&p).unwrap(), full_g);
        assert_eq!(pr.active_data().len(), 3);
        assert!(pr.set_batch(Some(&[])).is_err());
        assert!(pr.set_batch(Some(&[10_000])).is_err());
        pr.set_batch(None).unwrap();
        assert_eq!(pr.cost(&p).unwrap(), full);
        assert_eq!(pr.num_examples(), pr.data().len());
    }

    #[test]
    fn wrong_lengths_are_errors_everywhere() {
        let pr = XorProblem::reference();
        let bad = array![1.0, 2.0, 3.0];
        let ok = array![1.0, 2.0];
        assert!(pr.gradient(&bad).is_err());
        assert!(pr.hessian(&bad).is_err());
        assert!(pr.hessian_vec(&ok, &bad).is_err());
        assert!(pr.ggn_vec(&bad, &ok).is_err());
        assert!(pr.ggn(&bad).is_err());
        assert!(pr.kfac_factors(&bad, FisherKind::Exact).is_err());
        assert!(pr.fisher(&bad, FisherKind::Empirical).is_err());
        assert!(pr.full_batch_cost(&bad).is_err());
    }
}
