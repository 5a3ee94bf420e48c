//! The numbers chapter 15 (`notebooks/15-line-search.ipynb`, "Line search")
//! quotes, pinned.

use quad_vs_grad::lessons::line_search::*;
use quad_vs_grad::prelude::*;

#[test]
#[ignore]
fn explore() {
    let banana = Rosenbrock::classic();
    let point = bfgs_point(&banana, &banana.start(), 5).unwrap();
    println!(
        "x={:.4} f={:.4} d={:.4} slope={:.4}",
        point.x,
        point.cost,
        point.direction,
        point.slope()
    );
    let profile = line_profile(&banana, &point, 0.5, 500, 1e-4, 0.9).unwrap();
    println!(
        "A {} C {} W {} best {:.3}",
        LineProfile::intervals_text(&profile.armijo),
        LineProfile::intervals_text(&profile.curvature),
        LineProfile::intervals_text(&profile.wolfe),
        profile.best_alpha()
    );
    let picks = line_search_picks(&banana, &point, &profile, &LineSearch::defaults()).unwrap();
    for p in &picks {
        println!("{:?}", p);
    }
    let p01 = line_profile(&banana, &point, 0.5, 500, 1e-4, 0.1).unwrap();
    println!("c2=0.1: W {}", LineProfile::intervals_text(&p01.wolfe));
    let picks = line_search_picks(
        &banana,
        &point,
        &p01,
        &[LineSearch::MoreThuente { c1: 1e-4, c2: 0.1 }],
    )
    .unwrap();
    for p in &picks {
        println!("{:?}", p);
    }
    let cfg = RaceConfig::default();
    let banana_starts = uniform_starts(25, 2, (-2.0, 2.0), 15).unwrap();
    let mut searches = LineSearch::defaults().to_vec();
    searches.push(LineSearch::MoreThuente { c1: 1e-4, c2: 0.1 });
    let c = compare_line_searches(&banana, "Rosenbrock", &banana_starts, &searches, &cfg).unwrap();
    println!("{c}");
    for r in &c.rows {
        println!("bad runs {}", r.runs_with_bad_pairs());
    }
    let xor = XorProblem::reference();
    let xor_starts = uniform_starts(25, 2, (-4.0, 4.0), 15).unwrap();
    let c = compare_line_searches(&xor, "XOR", &xor_starts, &searches, &cfg).unwrap();
    println!("{c}");
    let acfg = RaceConfig {
        max_evals: Some(5000),
        ..RaceConfig::default()
    };
    let hidden = XorProblem::hidden_slice();
    let hs = uniform_starts(50, 2, (-3.0, 3.0), 15).unwrap();
    let t = std::time::Instant::now();
    for ls in [LineSearch::ARMIJO, LineSearch::MORE_THUENTE] {
        let a = curvature_audit(&hidden, "hidden slice", &hs, ls, &acfg).unwrap();
        println!("{a}");
    }
    let bs = uniform_starts(200, 2, (-2.0, 2.0), 15).unwrap();
    for ls in [LineSearch::ARMIJO, LineSearch::MORE_THUENTE] {
        let a = curvature_audit(&banana, "Rosenbrock", &bs, ls, &acfg).unwrap();
        println!("{a}");
    }
    let a = curvature_audit(&xor, "ref", &xor_starts, LineSearch::ARMIJO, &acfg).unwrap();
    println!("{a}");
    println!("{:?}", t.elapsed());
}
