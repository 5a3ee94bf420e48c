//! Text and HTML summaries of a race, and export of traces and data
//! (CSV, JSON), written atomically.

use std::fmt;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::trace::Trace;

/// A table with one row per optimizer run: steps, final loss, gradient norm,
/// evaluation counts, wall time and how the run stopped.
///
/// `Display` gives an aligned plain-text table (the CLI's summary); in an
/// Evcxr notebook the value shows as an HTML table.
#[derive(Clone, Debug)]
pub struct Summary<'a> {
    traces: &'a [Trace],
}

const HEADERS: [&str; 11] = [
    "optimizer",
    "steps",
    "final loss",
    "|grad|",
    "cost",
    "grad",
    "Hess",
    "curv·v",
    "solves",
    "ms",
    "stopped",
];

impl<'a> Summary<'a> {
    /// A summary of `traces`, in their order.
    pub fn new(traces: &'a [Trace]) -> Self {
        Self { traces }
    }

    /// The table's cells, one row per trace, as strings.
    pub fn rows(&self) -> Vec<[String; 11]> {
        self.traces
            .iter()
            .map(|t| {
                let c = t.total_counts();
                [
                    t.optimizer.clone(),
                    t.steps().to_string(),
                    crate::fmt::decimals(t.final_loss(), 6),
                    crate::fmt::sci(t.final_grad_norm()),
                    c.cost.to_string(),
                    c.gradient.to_string(),
                    c.hessian.to_string(),
                    c.curvature.to_string(),
                    c.linear_solve.to_string(),
                    format!("{:.2}", t.wall_ms()),
                    t.stop.short(),
                ]
            })
            .collect()
    }

    /// The table as HTML, for notebooks.
    pub fn to_html(&self) -> String {
        let align = |i: usize| {
            if i == 0 || i == 10 {
                Align::Left
            } else {
                Align::Right
            }
        };
        html_table(&HEADERS, &self.rows(), align)
    }

    /// Shows the table inline in an Evcxr notebook (`text/html`).
    pub fn evcxr_display(&self) {
        show_html(&self.to_html());
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            for (i, (cell, w)) in cells.iter().zip(widths.iter()).enumerate() {
                let pad = w - cell.chars().count();
                if i > 0 {
                    write!(f, "  ")?;
                }
                if i + 1 == cells.len() {
                    write!(f, "{cell}")?;
                } else if i == 0 {
                    write!(f, "{cell}{}", " ".repeat(pad))?;
                } else {
                    write!(f, "{}{cell}", " ".repeat(pad))?;
                }
            }
            writeln!(f)
        };
        let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
        line(f, &headers)?;
        let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        writeln!(f, "{}", "-".repeat(total))?;
        for row in &rows {
            line(f, row)?;
        }
        for t in self.traces {
            use crate::trace::StopReason as S;
            if let S::Diverged(why) | S::Failed(why) | S::Budget(why) = &t.stop {
                writeln!(f, "note: {} stopped early: {why}", t.optimizer)?;
            }
        }
        Ok(())
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// How a column of an HTML table is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// The one HTML table writer of the crate's tables (race summary, the
/// experiments' tables): a header row and one `<tr>` per row, every header
/// and cell HTML-escaped, cell `i` aligned by `align(i)`.
pub(crate) fn html_table<H, R, C>(
    headers: &[H],
    rows: &[R],
    align: impl Fn(usize) -> Align,
) -> String
where
    H: AsRef<str>,
    R: AsRef<[C]>,
    C: AsRef<str>,
{
    let mut s = String::from("<table><thead><tr>");
    for h in headers {
        s.push_str(&format!("<th>{}</th>", html_escape(h.as_ref())));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for (i, cell) in row.as_ref().iter().enumerate() {
            let side = match align(i) {
                Align::Left => "left",
                Align::Right => "right",
            };
            s.push_str(&format!(
                "<td style=\"text-align:{side}\">{}</td>",
                html_escape(cell.as_ref())
            ));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Prints `html` as Evcxr's inline `text/html` output.
pub(crate) fn show_html(html: &str) {
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
}

/// One row of a plain-text table: cell `i` right-aligned in `widths[i]`
/// characters (a longer cell is not cut), cells separated by one space,
/// no line break.
pub(crate) fn aligned_row<C: fmt::Display>(cells: &[C], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, &w)| format!("{c:>w$}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The machine a wall time was measured on: CPU model, logical CPUs and the
/// load average when the measurement started.
///
/// Wall times are the one kind of number in the course that depends on the
/// machine (and on what else it runs), so every cell that prints them prints
/// this line too. `Display`: `measured on <model>, <n> logical CPUs, load
/// average <1 min> / <5 min>`; a field the system does not expose (outside
/// Linux) shows as `unknown`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo`), if known.
    pub cpu: Option<String>,
    /// Logical CPUs this process may use.
    pub logical_cpus: Option<usize>,
    /// Load average over the last 1 and 5 minutes (`/proc/loadavg`), if known.
    pub load: Option<(f64, f64)>,
}

impl Machine {
    /// Reads the machine's description now.
    pub fn now() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| cpu_model(&text));
        let logical_cpus = std::thread::available_parallelism().ok().map(|n| n.get());
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| load_average(&text));
        Self {
            cpu,
            logical_cpus,
            load,
        }
    }
}

/// The first `model name` of a `/proc/cpuinfo` text, spaces collapsed.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name")
                .then(|| value.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .filter(|model| !model.is_empty())
}

/// The 1- and 5-minute load averages of a `/proc/loadavg` text.
fn load_average(loadavg: &str) -> Option<(f64, f64)> {
    let mut fields = loadavg.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(one)), Some(Ok(five))) => Some((one, five)),
        _ => None,
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unknown = || "unknown".to_string();
        write!(
            f,
            "measured on {}, {} logical CPUs, load average {}",
            self.cpu.clone().unwrap_or_else(unknown),
            self.logical_cpus.map_or_else(unknown, |n| n.to_string()),
            self.load.map_or_else(unknown, |(one, five)| format!(
                "{one:.2} / {five:.2} (1 / 5 min)"
            )),
        )
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same
/// directory, then renamed over `path`, so a reader never sees a partial file
/// and a failure leaves no file behind.
///
/// # Errors
/// [`Error::Io`] naming the path if the directory is not writable or a write fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    Ok(())
}

#[derive(Serialize)]
struct TraceRow<'a> {
    optimizer: &'a str,
    iteration: usize,
    p: String,
    loss: f64,
    grad_norm: f64,
    cost_count: u64,
    gradient_count: u64,
    hessian_count: u64,
    curvature_count: u64,
    linear_solve_count: u64,
    elapsed_ms: f64,
    kind: &'a str,
    lr: Option<f64>,
    momentum: Option<f64>,
    noise: Option<f64>,
    damping: Option<f64>,
    adaptive_damping: bool,
    batch_size: Option<usize>,
    curvature_batch_size: Option<usize>,
    curvature_seed: Option<u64>,
    seed: u64,
    tol: f64,
    max_iters: u64,
    max_evals: u64,
    max_seconds: f64,
    stop: String,
}

/// The traces as CSV: one row per optimizer and iterate, the iterate's
/// coordinates joined by `;` in the column `p`, then the run's
/// [`Settings`](crate::trace::Settings) repeated on every row (`kind`, `lr`,
/// `momentum`, `noise`, `damping`, `adaptive_damping`, `batch_size`,
/// `curvature_batch_size`, `curvature_seed`, `seed`, `tol`, `max_iters`,
/// `max_evals`, `max_seconds`; an empty cell where the optimizer has no such
/// setting, an empty `batch_size` for a full-batch run and an empty
/// `curvature_batch_size` where the curvature uses the gradient's batch), and the run's stop reason ([`StopReason::short`](crate::trace::StopReason::short)).
/// The column `iteration` is the iterate's iteration number
/// ([`Trace::iteration`]): in a thinned trace it skips.
///
/// # Errors
/// [`Error::InvalidData`] if serialisation fails.
pub fn traces_csv(traces: &[Trace]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for t in traces {
        let s = &t.settings;
        for i in 0..t.iterates.len() {
            let c = t.counts.get(i).copied().unwrap_or_default();
            let p = t.iterates[i]
                .iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(";");
            w.serialize(TraceRow {
                optimizer: &t.optimizer,
                iteration: t.iteration(i),
                p,
                loss: t.loss.get(i).copied().unwrap_or(f64::NAN),
                grad_norm: t.grad_norm.get(i).copied().unwrap_or(f64::NAN),
                cost_count: c.cost,
                gradient_count: c.gradient,
                hessian_count: c.hessian,
                curvature_count: c.curvature,
                linear_solve_count: c.linear_solve,
                elapsed_ms: t.elapsed_ms.get(i).copied().unwrap_or(f64::NAN),
                kind: s.kind.as_deref().unwrap_or(""),
                lr: s.lr,
                momentum: s.momentum,
                noise: s.noise,
                damping: s.damping,
                adaptive_damping: s.adaptive_damping,
                batch_size: s.batch_size,
                curvature_batch_size: s.curvature_batch_size,
                curvature_seed: s.curvature_seed,
                seed: s.seed,
                tol: s.tol,
                max_iters: s.max_iters,
                max_evals: s.max_evals,
                max_seconds: s.max_seconds,
                stop: t.stop.short(),
            })
            .map_err(|e| Error::InvalidData(e.to_string()))?;
        }
    }
    w.into_inner()
        .map_err(|e| Error::InvalidData(e.to_string()))
}

/// The traces as pretty-printed JSON (the [`Trace`] serde form).
///
/// Non-finite numbers (a diverged run) are written as `null`.
///
/// # Errors
/// [`Error::InvalidData`] if serialisation fails.
pub fn traces_json(traces: &[Trace]) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(traces).map_err(|e| Error::InvalidData(e.to_string()))
}

/// The data set as CSV with columns `x1,x2,y`.
///
/// # Errors
/// [`Error::InvalidData`] if serialisation fails.
pub fn dataset_csv(data: &Dataset) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["x1", "x2", "y"])
        .map_err(|e| Error::InvalidData(e.to_string()))?;
    for i in 0..data.len() {
        w.write_record([
            format!("{}", data.x[[i, 0]]),
            format!("{}", data.x[[i, 1]]),
            format!("{}", data.y[i]),
        ])
        .map_err(|e| Error::InvalidData(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| Error::InvalidData(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_table_escapes_and_aligns() {
        let rows = vec![vec!["a<b".to_string(), "1 & 2".to_string()]];
        let html = html_table(&["x", "y>"], &rows, |i| {
            if i == 0 {
                Align::Left
            } else {
                Align::Right
            }
        });
        assert_eq!(
            html,
            "<table><thead><tr><th>x</th><th>y&gt;</th></tr></thead><tbody><tr>\
             <td style=\"text-align:left\">a&lt;b</td>\
             <td style=\"text-align:right\">1 &amp; 2</td></tr></tbody></table>"
        );
    }

    #[test]
    fn aligned_row_pads_on_the_left_and_never_cuts() {
        assert_eq!(
            aligned_row(&["B", "12", "long cell"], &[3, 4, 2]),
            "  B   12 long cell"
        );
        assert_eq!(aligned_row::<&str>(&[], &[]), "");
    }
    use crate::trace::{Counts, Settings, StopReason};

    fn trace(name: &str, stop: StopReason) -> Trace {
        Trace {
            optimizer: name.into(),
            problem: "p".into(),
            iterates: vec![vec![0.0, 1.0], vec![0.5, 0.5]],
            loss: vec![1.0, 0.5],
            grad_norm: vec![1.0, 0.1],
            counts: vec![
                Counts::default(),
                Counts {
                    cost: 1,
                    gradient: 2,
                    ..Counts::default()
                },
            ],
            elapsed_ms: vec![0.0, 0.25],
            stop,
            settings: Settings {
                kind: Some("adam".into()),
                lr: Some(0.05),
                batch_size: Some(20),
                seed: 3,
                tol: 1e-5,
                max_iters: 500,
                max_evals: 50_000,
                max_seconds: 60.0,
                ..Settings::default()
            },
        }
    }

    #[test]
    fn table_is_aligned_and_reports_divergence() {
        let ts = vec![
            trace("Adam", StopReason::MaxIters),
            trace("GD", StopReason::Diverged("loss is NaN".into())),
        ];
        let s = Summary::new(&ts).to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("optimizer"));
        // every column but the last is padded to one width
        let body = |l: &str, last: &str| l.strip_suffix(last).unwrap().len();
        assert_eq!(body(lines[2], "max iters"), body(lines[3], "DIVERGED"));
        assert!(!lines[2].ends_with(' '));
        assert!(s.contains("DIVERGED") && s.contains("loss is NaN"));
        assert!(Summary::new(&ts)
            .to_html()
            .contains("<td style=\"text-align:left\">GD</td>"));
    }

    #[test]
    fn csv_and_json_round_trip() {
        let ts = vec![trace("Adam", StopReason::StepNorm)];
        let csv = String::from_utf8(traces_csv(&ts).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv
            .lines()
            .nth(2)
            .unwrap()
            .starts_with("Adam,1,0.5;0.5,0.5,0.1,1,2,"));
        assert!(csv.lines().next().unwrap().ends_with(
            ",elapsed_ms,kind,lr,momentum,noise,damping,adaptive_damping,batch_size,curvature_batch_size,curvature_seed,seed,tol,max_iters,max_evals,max_seconds,stop"
        ));
        assert!(csv
            .lines()
            .nth(2)
            .unwrap()
            .ends_with(",adam,0.05,,,,false,20,,,3,0.00001,500,50000,60.0,step<tol"));
        let back: Vec<Trace> = serde_json::from_slice(&traces_json(&ts).unwrap()).unwrap();
        assert_eq!(back, ts);
        let d = Dataset::grid(2).unwrap();
        let csv = String::from_utf8(dataset_csv(&d).unwrap()).unwrap();
        assert_eq!(csv.lines().next(), Some("x1,x2,y"));
        assert_eq!(csv.lines().count(), 5);
    }

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_atomic(&p, b"abc").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
        let bad = dir.path().join("missing").join("b.bin");
        let err = write_atomic(&bad, b"x").unwrap_err();
        assert!(err.to_string().contains("b.bin"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn machine_fields_are_parsed() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R)  Xeon(R) CPU @ 2.20GHz\nflags\t: fpu\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(
            load_average("0.52 1.07 2.31 1/234 5678\n"),
            Some((0.52, 1.07))
        );
        assert_eq!(load_average("garbage"), None);
        let m = Machine {
            cpu: Some("Some CPU".into()),
            logical_cpus: Some(2),
            load: None,
        };
        assert_eq!(
            m.to_string(),
            "measured on Some CPU, 2 logical CPUs, load average unknown"
        );
    }
}
