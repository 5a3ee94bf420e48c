//! The `quad-vs-grad` command (the full CLI lands with the main-job issue).
use quad_vs_grad::prelude::*;

fn main() -> std::process::ExitCode {
    let problem = XorProblem::reference();
    let p = array![2.0, -2.0];
    match (problem.cost(&p), problem.gradient(&p)) {
        (Ok(l), Ok(g)) => {
            println!("{}", problem.name());
            println!(
                "start p = (2, -2): loss = {l:.6}, gradient = ({:.6}, {:.6})",
                g[0], g[1]
            );
            std::process::ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
