// The built book (book/book/, from scripts/book.sh) in a real browser:
// headless Chromium (Debian's `chromium`) driven by playwright-core.
//
//   node scripts/browser/test.mjs            (make browser; installs by scripts/browser-deps.sh)
//
// Checks, each counted: every page loads from file:// with no console error,
// no uncaught exception and no network request; every image loads (GIFs
// included); the math is MathML (no raw `$$` left); the search works
// offline; each explorable responds to its controls (slider, keyboard,
// click, drag) and shows the crate's numbers, and its page code agrees
// with the crate's values (tests/explorables/checks.json, written by
// quad_vs_grad::lessons::explorables) to 1e-12. Screenshots of each explorable in two
// states go to target/browser-screenshots/. Prints `browser: N passed, M
// failed` and exits non-zero on a failure.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BOOK = path.join(ROOT, "book", "book");
const SHOTS = path.join(ROOT, "target", "browser-screenshots");
const CHECKS = JSON.parse(fs.readFileSync(path.join(ROOT, "tests", "explorables", "checks.json"), "utf8"));
const TOL = CHECKS.tolerance;
const BATCH = loadData(path.join(ROOT, "book", "src", "explorables", "data", "batch.js"), "batch");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const started = Date.now();

// The crate's data file as the page sees it.
function loadData(file, name) {
  const text = fs.readFileSync(file, "utf8");
  const marker = `window.QVG_DATA[${JSON.stringify(name)}] = `;
  const at = text.indexOf(marker);
  return JSON.parse(text.slice(at + marker.length).trim().replace(/;$/, ""));
}

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok - ${name}${detail ? ` (${detail})` : ""}`); }
  else { failed++; console.log(`FAIL - ${name}${detail ? `: ${detail}` : ""}`); }
}

// |a − b| / max(1, |b|), the largest over two nested arrays of numbers.
function maxErr(a, b) {
  if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length) return Infinity;
    return b.reduce((m, v, i) => Math.max(m, maxErr(a[i], v)), 0);
  }
  if (typeof a !== "number" || !Number.isFinite(a) || !Number.isFinite(b)) return a === b ? 0 : Infinity;
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}
const fmtErr = (e) => `max error ${e.toExponential(2)}`;

const url = (page) => pathToFileURL(path.join(BOOK, page)).href;

async function main() {
  if (!fs.existsSync(path.join(BOOK, "index.html"))) {
    console.error("browser: no built book under book/book; run scripts/book.sh (make book) first");
    process.exit(1);
  }
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives every launch a fresh, empty profile directory;
    // without the background-networking flags Chromium keeps calling home
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 800, height: 1000 }, deviceScaleFactor: 1 });
  try {
    await pages(context);
    await search(context);
    await stepSize(context);
    await momentum(context);
    await damping(context);
    await batch(context);
  } finally {
    await browser.close();
  }
}

// A page opened with its console errors, uncaught exceptions and any
// request that is not a local file recorded.
async function open(context, page) {
  const p = await context.newPage();
  const problems = [];
  p.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  p.on("pageerror", (e) => problems.push("exception: " + e.message));
  p.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push("network request: " + r.url()); });
  p.on("requestfailed", (r) => problems.push("failed request: " + r.url()));
  await p.goto(url(page), { waitUntil: "load" });
  return { p, problems };
}

async function pages(context) {
  // 404.html is what a web server sends for a missing page, at any
  // address: mdBook links its styles from the site's root, which a file://
  // reading cannot resolve; every other page is read as a file.
  const html = fs.readdirSync(BOOK).filter((f) => f.endsWith(".html") && f !== "404.html").sort();
  let withMath = 0, gifs = 0;
  for (const name of html) {
    const { p, problems } = await open(context, name);
    const info = await p.evaluate(async () => {
      const imgs = [...document.images];
      // lazy images: make them load, then wait for every one
      imgs.forEach((i) => { i.loading = "eager"; });
      await Promise.all(imgs.map((i) => (i.complete ? null : new Promise((r) => { i.onload = i.onerror = r; }))));
      const main = document.querySelector("main") || document.body;
      const maths = [...document.querySelectorAll("math")];
      return {
        broken: imgs.filter((i) => !(i.naturalWidth > 0)).map((i) => i.getAttribute("src")),
        images: imgs.length,
        gifs: imgs.filter((i) => /\.gif$/i.test(i.getAttribute("src") || "") && i.naturalWidth > 0).length,
        math: maths.length,
        mathShown: maths.filter((m) => m.getBoundingClientRect().width > 0).length,
        rawMath: /\$\$/.test(main.innerText),
      };
    });
    await p.waitForTimeout(50);
    withMath += info.math > 0 ? 1 : 0;
    gifs += info.gifs;
    check(`${name} loads with no console error`, problems.length === 0, problems.slice(0, 3).join("; "));
    check(`${name}: ${info.images} image(s) load`, info.broken.length === 0, info.broken.length ? "broken: " + info.broken.join(", ") : "");
    if (info.math > 0 || info.rawMath) {
      check(`${name}: math is MathML (${info.math} elements)`, !info.rawMath && info.mathShown > 0,
        info.rawMath ? "raw $$ in the text" : `${info.mathShown} of ${info.math} laid out`);
    }
    await p.close();
  }
  check(`math renders as MathML on ${withMath} pages`, withMath >= 10);
  check(`GIF animations load (${gifs})`, gifs > 0);
}

async function search(context) {
  const { p, problems } = await open(context, "index.html");
  await p.click("#mdbook-search-toggle");
  await p.waitForSelector("#mdbook-searchbar", { state: "visible" });
  // mdBook loads its index on the first opening and searches on key-up:
  // type as a reader does, again if the index was not there yet
  let n = 0;
  for (let attempt = 0; attempt < 5 && n === 0; attempt++) {
    await p.fill("#mdbook-searchbar", "");
    await p.locator("#mdbook-searchbar").pressSequentially("Levenberg", { delay: 10 });
    try {
      await p.waitForSelector("#mdbook-searchresults li", { timeout: 2000 });
      n = await p.locator("#mdbook-searchresults li").count();
    } catch (e) { /* the index was still loading */ }
  }
  check(`search works offline ("Levenberg": ${n} results)`, n > 0 && problems.length === 0, problems.join("; "));
  await p.close();
}

async function shot(p, id, name) {
  const file = path.join(SHOTS, name + ".png");
  await p.locator("#" + id).scrollIntoViewIfNeeded();
  await p.locator("#" + id).screenshot({ path: file });
  return file;
}

// Sets a range input to `value` (as a string) as a user would, by an
// `input` event (the browser snaps it to the slider's step).
async function setSlider(p, id, value) {
  await p.evaluate(([id, value]) => {
    const el = document.getElementById(id);
    el.value = String(value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, [id, value]);
}

// Sets an explorable's slider to an exact value through the explorable's
// own slider API (the same path as a user's input, without the snapping to
// the slider's step that a log-scale slider cannot escape).
async function setExact(p, id, key, value) {
  await p.evaluate(([id, key, value]) => window.QVG.instances[id].sliders[key].set(value), [id, key, value]);
}

async function stepSize(context) {
  const ID = "qvg-step-size";
  const { p, problems } = await open(context, "02-gradient-descent.html");
  await shot(p, ID, "step-size-1-best-step");
  // page code against the crate
  const err = await p.evaluate((cases) => {
    const Q = window.QVG.quadratic;
    let e = 0;
    const rel = (a, b) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    const m = (a, b) => (Array.isArray(b) ? b.reduce((x, v, i) => Math.max(x, m(a[i], v)), a.length === b.length ? 0 : Infinity) : rel(a, b));
    for (const c of cases) {
      e = Math.max(e, m(Q.hessian(c.kappa, c.angle), c.hessian), m(Q.start(c.angle), c.start),
        m(Q.factors(c.lr, c.kappa), c.factors), m(Q.path(c.lr, 0, c.kappa, c.angle, c.steps), c.iterates));
    }
    return e;
  }, CHECKS.bowl);
  check(`step size: page's bowl, factors and GD paths agree with the crate (${CHECKS.bowl.length} settings)`, err <= TOL, fmtErr(err));
  // the sliders, set to each crate setting: the numbers shown are the crate's
  const before = await p.getAttribute(`#${ID} .qvg-path`, "points");
  let uiErr = 0, exact = true;
  for (const c of CHECKS.bowl) {
    await setExact(p, ID, "lr", c.lr);
    await setExact(p, ID, "kappa", c.kappa);
    await setExact(p, ID, "angle", c.angle);
    const shown = await p.evaluate((id) => {
      const inst = window.QVG.instances[id];
      const val = (cls) => parseFloat(document.querySelector(`#${id} .${cls}`).dataset.value);
      return { state: inst.state, path: inst.path, q: [val("qvg-q-flat"), val("qvg-q-steep")], limit: val("qvg-limit"), best: val("qvg-best") };
    }, ID);
    exact = exact && shown.state.lr === c.lr && shown.state.kappa === c.kappa && shown.state.angle === c.angle;
    const n = Math.min(shown.path.length, c.iterates.length);
    uiErr = Math.max(uiErr, maxErr(shown.q, c.factors), maxErr(shown.limit, c.limit), maxErr(shown.best, c.best_step),
      maxErr(shown.path.slice(0, n), c.iterates.slice(0, n)), n === Math.min(101, c.iterates.length) ? 0 : Infinity);
  }
  check("step size: the sliders hold the crate's settings exactly", exact);
  check("step size: the numbers and path shown are the crate's for each setting", uiErr <= TOL, fmtErr(uiErr));
  // keyboard: the step slider moves with the arrow keys and the path follows
  await setExact(p, ID, "lr", 0.0198);
  await setExact(p, ID, "kappa", 100);
  await setSlider(p, ID + "-angle", 0.5);
  const mid = await p.getAttribute(`#${ID} .qvg-path`, "points");
  await p.focus("#" + ID + "-lr");
  for (let k = 0; k < 3; k++) await p.keyboard.press("ArrowRight");
  const after = await p.getAttribute(`#${ID} .qvg-path`, "points");
  const lr = await p.evaluate((id) => window.QVG.instances[id].state.lr, ID);
  check(`step size: arrow keys move η (to ${lr}) and redraw the path`, after !== mid && lr > 0.0198 && before !== null);
  check("step size: η beyond 2/μmax diverges in the picture", await p.evaluate((id) => {
    const inst = window.QVG.instances[id];
    return inst.values.factors[1] > 1 && Math.hypot(...inst.path[inst.path.length - 1]) > 10;
  }, ID), "");
  await shot(p, ID, "step-size-2-above-limit");
  check("step size: no console error", problems.length === 0, problems.join("; "));
  await p.close();
}

async function momentum(context) {
  const ID = "qvg-momentum";
  const { p, problems } = await open(context, "03-momentum.html");
  await shot(p, ID, "momentum-1-polyak");
  const M = CHECKS.momentum;
  const err = await p.evaluate((M) => {
    const Q = window.QVG.quadratic;
    const rel = (a, b) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    const m = (a, b) => (Array.isArray(b) ? b.reduce((x, v, i) => Math.max(x, m(a[i], v)), a.length === b.length ? 0 : Infinity) : rel(a, b));
    const o = Q.polyak(1, M.kappa);
    let e = Math.max(rel(o.lr, M.polyak.lr), rel(o.beta, M.polyak.beta), rel(Q.heavyBallRate(o.lr, o.beta, [1, M.kappa]), M.polyak.rate));
    for (const c of M.cases) {
      e = Math.max(e, rel(Q.heavyBallRate(c.lr, c.beta, [1, M.kappa]), c.rate),
        m([Q.criticalBeta(c.lr, 1), Q.criticalBeta(c.lr, M.kappa)], c.critical),
        m(Q.path(c.lr, c.beta, M.kappa, M.angle, c.iterates.length - 1), c.iterates));
    }
    return e;
  }, M);
  check(`momentum: page's rates, critical damping, Polyak's tuning and heavy-ball paths agree with the crate (${M.cases.length} settings)`, err <= TOL, fmtErr(err));
  // the opening state is Polyak's optimum, with the crate's rate shown
  const shown0 = await p.evaluate((id) => {
    const inst = window.QVG.instances[id];
    return { state: inst.state, rate: parseFloat(document.querySelector(`#${id} .qvg-rate`).dataset.value), path: inst.path };
  }, ID);
  const c0 = M.cases[0];
  let uiErr = Math.max(maxErr(shown0.rate, c0.rate), maxErr(shown0.path, c0.iterates), maxErr(shown0.state.lr, c0.lr), maxErr(shown0.state.beta, c0.beta));
  // the sliders, at the crate's other settings on their grid
  let exact = true;
  for (const c of M.cases.slice(1).filter((c) => c.lr <= 0.044)) {
    await setSlider(p, ID + "-lr", c.lr);
    await setSlider(p, ID + "-beta", c.beta);
    const s = await p.evaluate((id) => {
      const inst = window.QVG.instances[id];
      return { state: inst.state, rate: parseFloat(document.querySelector(`#${id} .qvg-rate`).dataset.value), path: inst.path };
    }, ID);
    exact = exact && s.state.lr === c.lr && s.state.beta === c.beta;
    uiErr = Math.max(uiErr, maxErr(s.rate, c.rate), maxErr(s.path.slice(0, c.iterates.length), c.iterates));
  }
  check("momentum: sliders reach the crate's settings exactly", exact);
  check("momentum: the rate and path shown are the crate's for each setting", uiErr <= TOL, fmtErr(uiErr));
  // a click on the map picks (η, β) there and draws its path
  const before = await p.getAttribute(`#${ID} .qvg-path`, "points");
  const box = await p.locator(`#${ID} .qvg-map-hit`).boundingBox();
  await p.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.1);
  const picked = await p.evaluate((id) => window.QVG.instances[id].state, ID);
  const after = await p.getAttribute(`#${ID} .qvg-path`, "points");
  check(`momentum: clicking the map picks η = ${picked.lr}, β = ${picked.beta} and draws its path`,
    after !== before && Math.abs(picked.lr - 0.3 * 0.044) < 0.0015 && Math.abs(picked.beta - 0.9) < 0.02);
  await shot(p, ID, "momentum-2-clicked");
  check("momentum: no console error", problems.length === 0, problems.join("; "));
  await p.close();
}

async function damping(context) {
  const ID = "qvg-damping";
  const { p, problems } = await open(context, "09-damping.html");
  await shot(p, ID, "damping-1-start");
  const err = await p.evaluate((cases) => {
    const H = window.QVG.hidden;
    const model = H.makeModel(window.QVG_DATA.hidden);
    const rel = (a, b) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    const m = (a, b) => (Array.isArray(b) ? b.reduce((x, v, i) => Math.max(x, m(a[i], v)), a.length === b.length ? 0 : Infinity) : rel(a, b));
    let e = 0;
    for (const c of cases) {
      const d = model.derivatives(c.p);
      e = Math.max(e, rel(model.loss(c.p), c.loss), rel(d.loss, c.loss), m(d.gradient, c.gradient), m(d.hessian, c.hessian),
        m(d.ggn, c.ggn), m(H.eigenvalues2(d.hessian), c.eigenvalues));
      for (const s of c.steps) {
        const a = H.analyse(model, c.p, s.lambda);
        e = Math.max(e, m(a.steps.newton.s, s.newton), m(a.steps.lm.s, s.lm), m(a.steps.grad.s, s.grad_step),
          rel(a.steps.newton.loss, s.newton_loss), rel(a.steps.lm.loss, s.lm_loss), rel(a.steps.grad.loss, s.grad_loss),
          rel(a.steps.newton.predicted, s.newton_predicted));
      }
    }
    return e;
  }, CHECKS.hidden);
  const nSteps = CHECKS.hidden.reduce((n, c) => n + c.steps.length, 0);
  check(`damping: page's loss, gradient, Hessian, GGN and steps agree with the crate (${CHECKS.hidden.length} points, ${nSteps} (point, λ))`, err <= TOL, fmtErr(err));
  const shownAt = () => p.evaluate((id) => {
    const inst = window.QVG.instances[id];
    const root = document.getElementById(id);
    const val = (sel) => parseFloat(root.querySelector(sel).dataset.value);
    const row = (k) => ({ norm: val(`.qvg-row-${k} .qvg-norm`), predicted: val(`.qvg-row-${k} .qvg-predicted`), actual: val(`.qvg-row-${k} .qvg-actual`) });
    return {
      state: inst.state, loss: val(".qvg-loss"), eig: [val(".qvg-eig-min"), val(".qvg-eig-max")],
      rows: { newton: row("newton"), lm: row("lm"), grad: row("grad") },
      line: root.querySelector("line.qvg-step-newton").getAttribute("x2") + "," + root.querySelector("line.qvg-step-newton").getAttribute("y2"),
    };
  }, ID);
  const compare = (shown, c, s) => {
    const norm = (v) => Math.hypot(v[0], v[1]);
    return Math.max(maxErr(shown.loss, c.loss), maxErr(shown.eig, c.eigenvalues),
      maxErr(shown.rows.newton.norm, norm(s.newton)), maxErr(shown.rows.lm.norm, norm(s.lm)), maxErr(shown.rows.grad.norm, norm(s.grad_step)),
      maxErr(shown.rows.newton.actual, s.newton_loss - c.loss), maxErr(shown.rows.lm.actual, s.lm_loss - c.loss),
      maxErr(shown.rows.grad.actual, s.grad_loss - c.loss), maxErr(shown.rows.newton.predicted, s.newton_predicted));
  };
  const caseAt = (p0, lambda) => {
    const c = CHECKS.hidden.find((c) => c.p[0] === p0[0] && c.p[1] === p0[1]);
    return [c, c.steps.find((s) => s.lambda === lambda)];
  };
  // the opening state: the race's start, λ = 1
  const s0 = await shownAt();
  let uiErr = compare(s0, ...caseAt([-2.5, 1.5], 1));
  // the λ slider moves with the arrow keys and the steps follow
  await p.focus("#" + ID + "-lambda");
  await p.keyboard.press("ArrowLeft");
  const sk = await shownAt();
  check(`damping: the arrow keys move λ (to ${sk.state.lambda}) and redraw the steps`, sk.line !== s0.line && sk.state.lambda < 1);
  // λ = 0.3
  await setExact(p, ID, "lambda", 0.3);
  const s1 = await shownAt();
  uiErr = Math.max(uiErr, compare(s1, ...caseAt([-2.5, 1.5], 0.3)));
  check("damping: the λ slider changes the drawn steps", s1.line !== sk.line && s1.state.lambda === 0.3);
  // drag the start to (1, −2)
  const [hx, hy, tx, ty] = await p.evaluate((id) => {
    const inst = window.QVG.instances[id];
    const svgEl = inst.svgMap, ctm = svgEl.getScreenCTM();
    const toClient = (q) => { const pt = svgEl.createSVGPoint(); [pt.x, pt.y] = inst.toScreen(q); const r = pt.matrixTransform(ctm); return [r.x, r.y]; };
    return [...toClient(inst.state.p), ...toClient([1, -2])];
  }, ID);
  await p.mouse.move(hx, hy);
  await p.mouse.down();
  await p.mouse.move((hx + tx) / 2, (hy + ty) / 2, { steps: 4 });
  await p.mouse.move(tx, ty, { steps: 4 });
  await p.mouse.up();
  const s2 = await shownAt();
  check(`damping: dragging the start moves it to (${s2.state.p}) and redraws the steps`, s2.state.p[0] === 1 && s2.state.p[1] === -2 && s2.line !== s1.line);
  uiErr = Math.max(uiErr, compare(s2, ...caseAt([1, -2], 0.3)));
  check("damping: the numbers shown are the crate's at each (start, λ)", uiErr <= TOL, fmtErr(uiErr));
  // keyboard: a focused start point moves with the arrow keys
  await p.focus(`#${ID} .qvg-handle`);
  await p.keyboard.press("ArrowUp");
  const s3 = await shownAt();
  check("damping: the arrow keys move the focused start point", s3.state.p[0] === 1 && Math.abs(s3.state.p[1] + 1.95) < 1e-12);
  await shot(p, ID, "damping-2-dragged");
  check("damping: no console error", problems.length === 0, problems.join("; "));
  await p.close();
}

async function batch(context) {
  const ID = "qvg-batch";
  const { p, problems } = await open(context, "11-stochasticity.html");
  await shot(p, ID, "batch-1-B5");
  const read = () => p.evaluate((id) => {
    const root = document.getElementById(id);
    const val = (sel) => parseFloat(root.querySelector(sel).dataset.value);
    const xs = [...root.querySelectorAll(".qvg-cloud-grad circle")].map((c) => parseFloat(c.getAttribute("cx")));
    const spread = Math.max(...xs) - Math.min(...xs);
    return { b: window.QVG.instances[id].values.batch_size, grad: val(".qvg-grad-rms"), law: val(".qvg-grad-law"), step: val(".qvg-step-rms"), n: xs.length, spread };
  }, ID);
  const rowOf = (b) => BATCH.rows.find((r) => r.batch_size === b);
  const s0 = await read();
  let uiErr = 0;
  const cmp = (s) => Math.max(maxErr(s.grad, rowOf(s.b).grad_rms), maxErr(s.law, rowOf(s.b).grad_law), maxErr(s.step, rowOf(s.b).step_rms));
  uiErr = cmp(s0);
  await p.focus("#" + ID + "-b");
  await p.keyboard.press("ArrowRight");
  await p.keyboard.press("ArrowRight");
  const s1 = await read();
  uiErr = Math.max(uiErr, cmp(s1));
  await setSlider(p, ID + "-b", 3);
  const s2 = await read();
  uiErr = Math.max(uiErr, cmp(s2));
  check(`batch: the slider picks B = ${s0.b}, ${s1.b}, ${s2.b} (keyboard and pointer) and redraws ${s0.n} points`, s0.b === 5 && s1.b === 20 && s2.b === 50 && s0.n === BATCH.draws);
  check("batch: the numbers shown are the crate's for each B", uiErr <= TOL, fmtErr(uiErr));
  const ratio = s0.spread / s2.spread, law = Math.sqrt((50 / 5) * (BATCH.examples - 5) / (BATCH.examples - 50));
  check(`batch: the gradient cloud's width shrinks ${ratio.toFixed(2)}× from B = 5 to 50 (the 1/√B law with the finite-population factor: ${law.toFixed(2)}×)`,
    ratio > law / 1.6 && ratio < law * 1.6);
  await shot(p, ID, "batch-2-B50");
  check("batch: no console error", problems.length === 0, problems.join("; "));
  await p.close();
}

main().catch((e) => { failed++; console.log("FAIL - the browser test stopped: " + (e.stack || e)); }).finally(() => {
  console.log(`browser: screenshots in ${path.relative(ROOT, SHOTS)}/; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
