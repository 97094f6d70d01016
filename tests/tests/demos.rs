//! The demo pages and the two report pages in a real browser: generates them (from small generated datasets, or from
//! the real ones when `ML4A_DATA` is set), opens each from disk in headless Chromium through
//! WebDriver, drives them with the mouse and the keyboard, and checks what they show against
//! the exported summaries and the trained weights. Fails on any console error.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`);
//! without them the test is skipped with a message, unless `CI` is set, where it fails.
//! Screenshots go to `$ML4A_SCREENSHOTS` when set.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use experiments::analysis::SUMMARY_TOPS;
use experiments::pipeline::{self, PipelineOptions, Quiet, Results};
use experiments::{DataDir, Lang, NetworkId, Spec, claims, demos, figures, report};
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use introspect::Summary;
use ml4a_tests::browser::{Driver, console_errors, tools_or_skip};
use ml4a_tests::{write_cifar, write_mnist};
use serde_json::{Value, json};

/// The issue's limit on a page.
const MAX_PAGE_BYTES: usize = 3_000_000;

/// The chapter run the pages are generated from: the four chapter networks on the real data
/// when `ML4A_DATA` is set (models cached under the target directory), else on small generated
/// datasets in the official formats, trained for a few epochs.
fn chapter_run(scratch: &Path) -> Results {
    let specs: Vec<Spec>;
    let opts = match std::env::var_os("ML4A_DATA").filter(|v| !v.is_empty()) {
        Some(dir) => {
            specs = NetworkId::ALL.iter().map(|n| n.spec()).collect();
            PipelineOptions {
                data_dir: DataDir(PathBuf::from(dir)),
                cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-models")),
                fresh: false,
            }
        }
        None => {
            write_mnist(scratch, 1200, 200, 3);
            write_cifar(scratch, 240, 100, 4);
            specs = NetworkId::ALL
                .iter()
                .map(|n| {
                    let mut s = n.spec();
                    s.train.epochs = 4;
                    s
                })
                .collect();
            PipelineOptions {
                data_dir: DataDir(scratch.to_path_buf()),
                cache_dir: None,
                fresh: true,
            }
        }
    };
    pipeline::train_and_analyse(&specs, &opts, &mut Quiet).expect("the chapter run")
}

/// The JSON block a page embeds.
fn page_data(html: &str) -> Value {
    let open = "id=\"demo-data\">";
    let start = html.find(open).expect("a data block") + open.len();
    let end = start + html[start..].find("</script>").expect("the block's end");
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

/// `9,305`, as the pages write counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn file_url(path: &Path) -> String {
    format!(
        "file://{}",
        path.canonicalize().expect("the page exists").display()
    )
}

/// The run and its pages, built once for every test of this file.
struct Fixture {
    run: Results,
    out: tempfile::TempDir,
    _scratch: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let scratch = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let run = chapter_run(scratch.path());
        let pages = demos::write(&run, out.path()).expect("the demos are written");
        report::write_summaries(&run, out.path()).expect("the summaries are written");
        // Both report pages, with the figures (their words in Korean) and the claims but for
        // claim 8 (the sweep is not trained here).
        let dir = out.path().join("figures");
        let written = figures::write_chapter(&run, &dir, Lang::Ko).expect("figures are written");
        let measured = claims::write_all(&run, &claims::Sweeps::new(), &dir, Lang::Ko)
            .expect("the claims are measured");
        let mut r = report::reproduce(&run, run.total_seconds);
        r.claims = measured.claims;
        let extra = |l: Lang| claims::html(&r.claims, &measured.unit_figures, l);
        report::write_index_with(
            &run,
            &r,
            out.path(),
            &report::chapter_figures(&written),
            &extra,
        )
        .expect("the report pages are written");
        for p in &pages {
            println!("{}: {} bytes", p.path.display(), p.bytes);
            assert!(p.bytes < MAX_PAGE_BYTES, "{} is too big", p.path.display());
            assert_eq!(std::fs::metadata(&p.path).unwrap().len() as usize, p.bytes);
        }
        Fixture {
            run,
            out,
            _scratch: scratch,
        }
    })
}

/// Squeezed into a smaller budget, the pages shrink by their stated rules: fewer samples per
/// cell (each cell still its most confident ones, in order), fewer snapshots (first and last
/// kept).
#[test]
fn pages_shrink_to_their_budget() {
    let f = fixture();
    let full_confusion =
        std::fs::read_to_string(f.out.path().join("demos/confusion.html")).unwrap();
    let full = page_data(&full_confusion);
    let budget = full_confusion.len() * 2 / 3;
    let small = demos::confusion_page(&f.run, budget);
    assert!(small.len() <= budget, "{} > {budget}", small.len());
    let squeezed = page_data(&small);
    let mut shrunk = false;
    for (n, net) in full["networks"].as_array().unwrap().iter().enumerate() {
        let cut = &squeezed["networks"][n];
        let shown = cut["shown"].as_u64().unwrap() as usize;
        shrunk |= shown < SUMMARY_TOPS;
        for (a, row) in net["tops"].as_array().unwrap().iter().enumerate() {
            for (p, cell) in row.as_array().unwrap().iter().enumerate() {
                let cell = cell.as_array().unwrap();
                let kept = cut["tops"][a][p].as_array().unwrap();
                assert_eq!(kept.len(), cell.len().min(shown), "cell ({a}, {p})");
                for (x, y) in kept.iter().zip(cell) {
                    // Same sample and probability; tile numbers differ between sheets.
                    assert_eq!((&x[0], &x[2]), (&y[0], &y[2]), "cell ({a}, {p})");
                }
            }
        }
    }
    assert!(shrunk, "some network shows fewer samples per cell");

    let full_weights = std::fs::read_to_string(f.out.path().join("demos/weights.html")).unwrap();
    let budget = full_weights.len() * 2 / 3;
    let small = demos::weights_page(&f.run, budget);
    assert!(small.len() <= budget, "{} > {budget}", small.len());
    for (net, o) in page_data(&small)["networks"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&f.run.outcomes)
    {
        let epochs: Vec<u64> = net["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["epoch"].as_u64().unwrap())
            .collect();
        let last = o.trained.snapshots.len() as u64 - 1;
        assert!(epochs.len() < last as usize + 1, "{epochs:?}");
        assert_eq!(
            (epochs[0], epochs[epochs.len() - 1]),
            (0, last),
            "{epochs:?}"
        );
    }
}

#[test]
fn demo_pages_work_in_a_browser() {
    let f = fixture();
    let Some(tools) = tools_or_skip("demo_pages_work_in_a_browser") else {
        return;
    };
    let shots = std::env::var_os("ML4A_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
    }

    let driver = Driver::start(&tools.chromedriver).expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let client = driver
            .session(&tools.chromium, profile.path(), 1400, 1400)
            .await?;
        let checks = async {
            confusion_page(&client, &f.run, f.out.path(), shots.as_deref()).await?;
            weights_page(&client, &f.run, f.out.path(), shots.as_deref()).await?;
            draw_page(&client, &f.run, f.out.path(), shots.as_deref()).await?;
            korean_pages(&client, f.out.path(), shots.as_deref()).await?;
            report_pages(&client, f.out.path(), shots.as_deref()).await
        }
        .await;
        // Close the session whatever happened, so the browser exits before the driver is killed.
        let closed = client.close().await;
        checks?;
        closed.context("closing the session")
    });
    drop(driver);
    if let Err(e) = result {
        panic!("{e:#}");
    }
}

/// Runs `script` in the page and returns its value.
async fn js(c: &Client, script: &str) -> Result<Value> {
    c.execute(script, vec![])
        .await
        .with_context(|| format!("running {script}"))
}

/// Fails with the page's console errors, if any.
async fn no_console_errors(c: &Client, page: &str) -> Result<()> {
    let errors = console_errors(c).await?;
    ensure!(errors.is_empty(), "{page}: console errors: {errors:#?}");
    Ok(())
}

/// Fails when the page loaded anything but `data:` URLs: it must work offline.
async fn nothing_fetched(c: &Client, page: &str) -> Result<()> {
    let fetched = js(
        c,
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))",
    )
    .await?;
    ensure!(fetched == json!([]), "{page} fetched {fetched}");
    Ok(())
}

async fn screenshot(c: &Client, dir: Option<&Path>, name: &str) -> Result<()> {
    if let Some(dir) = dir {
        let png = c.screenshot().await?;
        let path = dir.join(name);
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        println!("screenshot {}", path.display());
    }
    Ok(())
}

async fn hover(c: &Client, css: &str) -> Result<()> {
    let element = c.find(Locator::Css(css)).await.context(css.to_string())?;
    let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element,
        duration: Some(Duration::from_millis(50)),
        x: 0.0,
        y: 0.0,
    });
    c.perform_actions(mouse).await?;
    Ok(())
}

async fn press(c: &Client, key: Key) -> Result<()> {
    let k: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.perform_actions(keys).await?;
    Ok(())
}

fn cell_css(a: usize, p: usize) -> String {
    format!("#matrix td.cell[data-a=\"{a}\"][data-p=\"{p}\"]")
}

/// A percentage as the page writes it, e.g. `"93.1%"` for 0.93125 (either neighbour of an
/// exact tie is accepted: JavaScript and Rust round ties differently).
fn check_percent(text: &str, value: f64, digits: i32, what: &str) -> Result<()> {
    let shown: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| anyhow!("{what}: {text:?} is not a percentage"))?;
    let step = 10f64.powi(-digits);
    ensure!(
        (shown - 100.0 * value).abs() <= step / 2.0 + 1e-9,
        "{what}: shows {text}, expected {}%",
        100.0 * value
    );
    Ok(())
}

/// The panel must show exactly cell (a, p)'s most confident samples, in order, each with its
/// probability, as the exported summary lists them.
async fn check_panel(c: &Client, s: &Summary, shown: usize, a: usize, p: usize) -> Result<()> {
    let classes = &s.meta.classes;
    let title = c.find(Locator::Id("panel-title")).await?.text().await?;
    ensure!(
        title == format!("actual {} predicted as {}", classes[a], classes[p]),
        "panel title {title:?} for cell ({a}, {p})"
    );
    let figures = js(
        c,
        "return [...document.querySelectorAll('#panel-samples figure.sample')].map(f => \
         [f.dataset.index, f.dataset.prob, f.querySelector('figcaption').textContent, f.className])",
    )
    .await?;
    let figures = figures.as_array().cloned().unwrap_or_default();
    let count = s.confusion[a][p] as usize;
    let expected = &s.tops[a][p][..count.min(shown)];
    ensure!(
        figures.len() == expected.len(),
        "cell ({a}, {p}) of {}: the panel shows {} samples, the summary lists {} (count {count}, shown {shown})",
        s.meta.model,
        figures.len(),
        expected.len()
    );
    for (i, (f, want)) in figures.iter().zip(expected).enumerate() {
        let index: usize = f[0].as_str().unwrap_or("").parse()?;
        let prob: f32 = f[1].as_str().unwrap_or("").parse()?;
        ensure!(
            index == s.meta.first_index + want.index,
            "cell ({a}, {p}) rank {i}: sample {index}, expected {}",
            s.meta.first_index + want.index
        );
        ensure!(
            prob == want.prob,
            "cell ({a}, {p}) rank {i}: probability {prob}, expected {}",
            want.prob
        );
        check_percent(
            f[2].as_str().unwrap_or(""),
            f64::from(want.prob),
            1,
            "sample caption",
        )?;
        let frame = if a == p { "ok" } else { "bad" };
        ensure!(f[3] == json!(format!("sample {frame}")), "frame of {f}");
    }
    let note = c.find(Locator::Id("panel-note")).await?.text().await?;
    let lead = match count {
        0 => "No samples".to_string(),
        1 => "1 sample".to_string(),
        n => format!("{} samples", thousands(n as u64)),
    };
    ensure!(
        note.starts_with(&lead),
        "panel note {note:?} for a count of {count}"
    );
    Ok(())
}

/// Which cell the keyboard focus is on.
async fn focused_cell(c: &Client) -> Result<(usize, usize)> {
    let v = js(
        c,
        "const e = document.activeElement; return [e.dataset.a, e.dataset.p].map(Number)",
    )
    .await?;
    let get = |i: usize| v[i].as_u64().map(|x| x as usize);
    match (get(0), get(1)) {
        (Some(a), Some(p)) => Ok((a, p)),
        _ => Err(anyhow!("the focus is not on a cell: {v}")),
    }
}

async fn confusion_page(c: &Client, run: &Results, out: &Path, shots: Option<&Path>) -> Result<()> {
    let path = out.join("demos/confusion.html");
    let data = page_data(&std::fs::read_to_string(&path)?);
    c.goto(&file_url(&path)).await?;
    no_console_errors(c, "confusion.html on load").await?;
    nothing_fetched(c, "confusion.html").await?;

    let ids: Vec<String> = run
        .outcomes
        .iter()
        .map(|o| o.trained.spec.id.clone())
        .collect();
    let options = js(
        c,
        "return [...document.querySelectorAll('#net option')].map(o => o.value)",
    )
    .await?;
    ensure!(options == json!(ids), "network menu {options}");

    let menu = c.find(Locator::Id("net")).await?;
    for (n, id) in ids.iter().enumerate() {
        menu.select_by_value(id).await?;
        let s: Summary = serde_json::from_slice(&std::fs::read(
            out.join("summaries").join(format!("{id}.json")),
        )?)?;
        let k = s.n_classes;
        let shown = data["networks"][n]["shown"]
            .as_u64()
            .ok_or_else(|| anyhow!("no cap for {id}"))? as usize;
        ensure!(
            (1..=SUMMARY_TOPS).contains(&shown),
            "{id} shows {shown} per cell"
        );
        if std::env::var_os("ML4A_DATA").is_none() || id.starts_with("mnist") {
            // Small pages (and MNIST's small digits) fit every sample the summaries keep.
            ensure!(shown == SUMMARY_TOPS, "{id} shows only {shown} per cell");
        }

        // The table: counts, recall, precision and accuracy as the summary has them.
        let accuracy = c.find(Locator::Id("accuracy")).await?.text().await?;
        let acc = s.accuracy.unwrap_or(0.0);
        let counted = format!(
            "({} of {} correct)",
            thousands(s.correct),
            thousands(s.total)
        );
        ensure!(
            accuracy.starts_with("Accuracy ") && accuracy.contains(&counted),
            "accuracy line {accuracy:?} lacks {counted:?}"
        );
        check_percent(
            accuracy
                .split_whitespace()
                .nth(1)
                .ok_or_else(|| anyhow!("accuracy line {accuracy:?}"))?,
            acc,
            2,
            "accuracy",
        )?;
        let table = js(
            c,
            "return {cells: [...document.querySelectorAll('#matrix tbody tr')].map(r => \
             [...r.querySelectorAll('td.cell')].map(td => td.textContent)), \
             recall: [...document.querySelectorAll('#matrix td.recall')].map(td => td.textContent), \
             precision: [...document.querySelectorAll('#matrix td.precision')].map(td => td.textContent), \
             total: document.querySelector('#matrix td.total').textContent, \
             focusable: [...document.querySelectorAll('#matrix td.cell')].filter(td => td.hasAttribute('tabindex') && td.getAttribute('aria-label')).length, \
             tabStops: [...document.querySelectorAll('#matrix td.cell')].filter(td => td.tabIndex === 0).length}",
        )
        .await?;
        for a in 0..k {
            for p in 0..k {
                let text = table["cells"][a][p].as_str().unwrap_or("");
                let count: u64 = text.replace(',', "").parse()?;
                ensure!(
                    count == s.confusion[a][p],
                    "{id} cell ({a}, {p}) shows {text}"
                );
            }
            let recall = table["recall"][a].as_str().unwrap_or("");
            match s.recall[a] {
                Some(r) => check_percent(recall, r, 1, "recall")?,
                None => ensure!(recall == "–", "recall {recall:?} of an empty row"),
            }
            let precision = table["precision"][a].as_str().unwrap_or("");
            match s.precision[a] {
                Some(v) => check_percent(precision, v, 1, "precision")?,
                None => ensure!(precision == "–", "precision {precision:?}"),
            }
        }
        check_percent(table["total"].as_str().unwrap_or(""), acc, 1, "corner")?;
        ensure!(
            table["focusable"] == json!(k * k),
            "focusable cells: {table}"
        );
        ensure!(
            table["tabStops"] == json!(1),
            "one tab stop in the table: {table}"
        );

        // Hover a diagonal cell, then an off-diagonal one with samples.
        let (ca, _) = (0..k)
            .flat_map(|a| (0..k).map(move |p| (a, p)))
            .filter(|&(a, p)| a != p)
            .max_by_key(|&(a, p)| (s.confusion[a][p], std::cmp::Reverse((a, p))))
            .unwrap_or((0, 0));
        let diagonal = if ca + 1 < k { ca + 1 } else { 0 };
        hover(c, &cell_css(diagonal, diagonal)).await?;
        check_panel(c, &s, shown, diagonal, diagonal).await?;
        let off = (0..k)
            .flat_map(|a| (0..k).map(move |p| (a, p)))
            .filter(|&(a, p)| a != p && s.confusion[a][p] > 0)
            .min_by_key(|&(a, p)| (s.confusion[a][p], a, p));
        if let Some((a, p)) = off {
            hover(c, &cell_css(a, p)).await?;
            check_panel(c, &s, shown, a, p).await?;
        }
        if id == "mnist-2layer" {
            // The chapter's cell: threes taken for fives.
            hover(c, &cell_css(3, 5)).await?;
            check_panel(c, &s, shown, 3, 5).await?;
            screenshot(c, shots, "confusion-numbers.png").await?;
        }

        // The keyboard: click a cell, move with the arrows, the panel follows the focus.
        c.find(Locator::Css(&cell_css(0, 0))).await?.click().await?;
        ensure!(focused_cell(c).await? == (0, 0), "click focuses the cell");
        press(c, Key::Right).await?;
        press(c, Key::Down).await?;
        ensure!(focused_cell(c).await? == (1, 1), "arrows move the focus");
        check_panel(c, &s, shown, 1, 1).await?;
        press(c, Key::Left).await?;
        press(c, Key::Left).await?; // stays in the first column
        ensure!(
            focused_cell(c).await? == (1, 0),
            "the focus stays in the table"
        );
        check_panel(c, &s, shown, 1, 0).await?;
        press(c, Key::End).await?;
        ensure!(
            focused_cell(c).await? == (1, k - 1),
            "End goes to the row's end"
        );
        if id == "mnist-1layer" {
            screenshot(c, shots, "confusion-keyboard.png").await?;
        }

        // The view switch: each cell shows its most confident sample in a green or red frame.
        c.find(Locator::Css("label[for=view-samples]"))
            .await?
            .click()
            .await?;
        let frames = js(
            c,
            "return [...document.querySelectorAll('#matrix td.cell')].map(td => { \
             const f = td.querySelector('.frame'); \
             return f ? [Number(td.dataset.a), Number(td.dataset.p), Number(f.dataset.index), f.className, f.style.opacity] : null })",
        )
        .await?;
        for (i, f) in frames
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let (a, p) = (i / k, i % k);
            match s.tops[a][p].first() {
                None => ensure!(f.is_null(), "empty cell ({a}, {p}) shows {f}"),
                Some(top) => {
                    ensure!(
                        f[2] == json!(s.meta.first_index + top.index),
                        "cell ({a}, {p}) shows sample {} not {}",
                        f[2],
                        s.meta.first_index + top.index
                    );
                    let frame = if a == p { "frame ok" } else { "frame bad" };
                    ensure!(f[3] == json!(frame), "cell ({a}, {p}) frame {}", f[3]);
                    let opacity: f64 = f[4].as_str().unwrap_or("").parse()?;
                    let want = 0.15 + 0.85 * f64::from(top.prob);
                    ensure!(
                        (opacity - want).abs() < 1e-3,
                        "cell ({a}, {p}) opacity {opacity}, confidence {}",
                        top.prob
                    );
                }
            }
        }
        if let Some((a, p)) = off {
            hover(c, &cell_css(a, p)).await?;
            check_panel(c, &s, shown, a, p).await?;
        }
        if id == "mnist-2layer" {
            hover(c, &cell_css(3, 5)).await?;
            screenshot(c, shots, "confusion-samples.png").await?;
        }
        if id == "cifar-2layer" {
            hover(c, &cell_css(3, 5)).await?; // cats taken for dogs
            check_panel(c, &s, shown, 3, 5).await?;
            screenshot(c, shots, "confusion-cifar-samples.png").await?;
        }
        c.find(Locator::Css("label[for=view-numbers]"))
            .await?
            .click()
            .await?;
        let first = js(
            c,
            "return document.querySelector('#matrix td.cell').textContent",
        )
        .await?;
        ensure!(
            first == json!(thousands(s.confusion[0][0])),
            "back to numbers: {first}"
        );
        if id == "cifar-2layer" {
            hover(c, &cell_css(3, 5)).await?;
            screenshot(c, shots, "confusion-cifar-numbers.png").await?;
        }
        no_console_errors(c, &format!("confusion.html with {id}")).await?;
    }
    Ok(())
}

async fn weights_page(c: &Client, run: &Results, out: &Path, shots: Option<&Path>) -> Result<()> {
    let path = out.join("demos/weights.html");
    let data = page_data(&std::fs::read_to_string(&path)?);
    c.goto(&file_url(&path)).await?;
    no_console_errors(c, "weights.html on load").await?;
    nothing_fetched(c, "weights.html").await?;

    let groups = js(
        c,
        "return [...document.querySelectorAll('input[name=dataset]')].map(i => i.value)",
    )
    .await?;
    ensure!(
        groups == json!(["MNIST", "CIFAR-10"]),
        "dataset switch {groups}"
    );
    for (g, group) in ["MNIST", "CIFAR-10"].iter().enumerate() {
        c.find(Locator::Css(&format!("label[for=dataset-{g}]")))
            .await?
            .click()
            .await?;
        let prefix = if g == 0 { "mnist" } else { "cifar" };
        let outcomes: Vec<_> = run
            .outcomes
            .iter()
            .filter(|o| o.trained.spec.id.starts_with(prefix))
            .collect();
        let sections = js(
            c,
            "return [...document.querySelectorAll('section.net')].map(s => s.dataset.id)",
        )
        .await?;
        let ids: Vec<&str> = outcomes
            .iter()
            .map(|o| o.trained.spec.id.as_str())
            .collect();
        ensure!(sections == json!(ids), "{group} shows {sections}");
        // Each hidden unit of a 2-layer net has its card: images at both extremes, a histogram.
        for o in &outcomes {
            let hidden = o.trained.model.layers().len() == 2;
            let id = &o.trained.spec.id;
            let cards = js(c, &format!("return [...document.querySelectorAll('section.net[data-id=\"{id}\"] .ucard')].map(u => [u.querySelectorAll('.strip .tile').length, u.querySelectorAll('.hbar').length])")).await?;
            let want = if hidden {
                o.trained.model.layers()[0].outputs()
            } else {
                0
            };
            let cards = cards.as_array().context("cards")?;
            ensure!(cards.len() == want, "{id}: {} unit cards", cards.len());
            for card in cards {
                ensure!(
                    card[0].as_u64() > Some(0) && card[1].as_u64() > Some(0),
                    "{id}: a card without pictures or histogram: {card}"
                );
            }
        }

        // The slider starts on the trained weights.
        let last = outcomes[0].trained.snapshots.len() - 1;
        check_epoch(c, &data, run, last).await?;
        if g == 0 {
            screenshot(c, shots, "weights-mnist.png").await?;
        } else {
            screenshot(c, shots, "weights-cifar.png").await?;
        }
        // Keyboard on the slider: Home is the start, each arrow one epoch.
        c.find(Locator::Id("epoch")).await?.click().await?;
        press(c, Key::Home).await?;
        check_epoch(c, &data, run, 0).await?;
        if g == 0 {
            screenshot(c, shots, "weights-mnist-epoch0.png").await?;
        }
        press(c, Key::Right).await?;
        check_epoch(c, &data, run, 1).await?;
        if g == 0 {
            screenshot(c, shots, "weights-mnist-epoch1.png").await?;
        }
        press(c, Key::End).await?;
        check_epoch(c, &data, run, last).await?;
        no_console_errors(c, &format!("weights.html with {group}")).await?;
    }
    // Play, from the end, restarts at the first snapshot and runs to the end.
    c.find(Locator::Id("play")).await?.click().await?;
    let state = "return [document.getElementById('epoch').value, document.getElementById('epoch').max, \
                 document.getElementById('play').textContent]";
    let mut now = js(c, state).await?;
    ensure!(now[2] == json!("Pause"), "playing: {now}");
    for _ in 0..200 {
        if now[2] == json!("Play") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = js(c, state).await?;
    }
    ensure!(
        now[2] == json!("Play") && now[0] == now[1],
        "play ends at the last epoch: {now}"
    );
    no_console_errors(c, "weights.html after playing").await?;
    Ok(())
}

/// Every visible network shows snapshot `epoch`: the epoch number, the training stats of that
/// epoch, each unit's tile of that snapshot, and the bars of that snapshot's output weights.
async fn check_epoch(c: &Client, data: &Value, run: &Results, epoch: usize) -> Result<()> {
    let value = c.find(Locator::Id("epoch-value")).await?.text().await?;
    ensure!(
        value == epoch.to_string(),
        "slider label {value:?}, expected {epoch}"
    );
    let shown = js(
        c,
        "return [...document.querySelectorAll('section.net')].map(s => ({ \
         id: s.dataset.id, stats: s.querySelector('.stats').textContent, \
         tiles: [...s.querySelectorAll('.unit .tile')].map(t => t.style.backgroundPosition), \
         width: s.querySelector('.unit .tile').style.width, \
         bars: [...s.querySelectorAll('.bar')].map(b => Number(b.dataset.weight)) }))",
    )
    .await?;
    for sec in shown.as_array().cloned().unwrap_or_default() {
        let id = sec["id"].as_str().unwrap_or("");
        let o = experiments::NetworkId::parse(id)
            .and_then(|n| run.network(n))
            .ok_or_else(|| anyhow!("a section for unknown network {id}"))?;
        let net = data["networks"]
            .as_array()
            .and_then(|n| n.iter().find(|n| n["id"] == json!(id)))
            .ok_or_else(|| anyhow!("{id} is not in the page data"))?;
        let t = &o.trained;
        let snap = epoch.min(t.snapshots.len() - 1);
        ensure!(
            net["snapshots"][snap]["epoch"] == json!(snap),
            "{id}: the page keeps every snapshot"
        );
        let stats = sec["stats"].as_str().unwrap_or("");
        match snap.checked_sub(1).map(|e| &t.epochs[e]) {
            None => {
                ensure!(stats.contains("before training"), "{id} at 0: {stats:?}");
                let zero = t.snapshots[0].layers()[0]
                    .weight
                    .as_slice()
                    .iter()
                    .all(|&w| w == 0.0);
                ensure!(
                    stats.contains("Every weight is zero") == zero,
                    "{id} at 0 (all zero: {zero}): {stats:?}"
                );
            }
            Some(r) => {
                let loss = format!("training loss {:.3}", r.loss);
                ensure!(
                    stats.contains(&loss),
                    "{id} epoch {snap}: {stats:?} lacks {loss:?}"
                );
            }
        }
        // Tile u of snapshot s is number s * units + u of the sheet.
        let units = t.model.layers()[0].weight.rows();
        let columns = net["sheet"]["columns"].as_u64().unwrap_or(1) as usize;
        let w: f64 = sec["width"]
            .as_str()
            .unwrap_or("")
            .trim_end_matches("px")
            .parse()?;
        let h = w * net["sheet"]["tile_height"].as_f64().unwrap_or(1.0)
            / net["sheet"]["tile_width"].as_f64().unwrap_or(1.0);
        let tiles = sec["tiles"].as_array().cloned().unwrap_or_default();
        ensure!(
            tiles.len() == units,
            "{id}: {} tiles for {units} units",
            tiles.len()
        );
        for (u, pos) in tiles.iter().enumerate() {
            let i = snap * units + u;
            let px = |v: f64| {
                if v == 0.0 {
                    "0px".to_string()
                } else {
                    format!("{v}px")
                }
            };
            let want = format!(
                "{} {}",
                px(-((i % columns) as f64) * w),
                px(-((i / columns) as f64) * h)
            );
            ensure!(
                pos == &json!(want),
                "{id} unit {u} at epoch {snap}: {pos} not {want}"
            );
        }
        // The bars are the output layer's weights of that snapshot, to 3 significant digits.
        let bars = sec["bars"].as_array().cloned().unwrap_or_default();
        let layers = t.snapshots[snap].layers();
        if layers.len() == 2 {
            let wts = &layers[1].weight;
            ensure!(
                bars.len() == wts.rows() * wts.cols(),
                "{id}: {} bars",
                bars.len()
            );
            for (i, b) in bars.iter().enumerate() {
                let got = b.as_f64().unwrap_or(f64::NAN);
                let want = f64::from(wts.as_slice()[i]);
                ensure!(
                    (got - want).abs() <= 5.01e-3 * want.abs() + 1e-12,
                    "{id} bar {i} at epoch {snap}: {got} vs weight {want}"
                );
            }
        } else {
            ensure!(
                bars.is_empty(),
                "{id} has no hidden layer, yet {} bars",
                bars.len()
            );
        }
    }
    Ok(())
}

/// Rust's probabilities for one image, as `nn::Mlp::predict_proba` gives them.
fn rust_probabilities(run: &Results, id: &str, pixels: &[u8]) -> Vec<f64> {
    let o = run
        .outcomes
        .iter()
        .find(|o| o.trained.spec.id == id)
        .expect("a network of the run");
    let scaling = &o.trained.spec.input_scaling;
    let plane = pixels.len()
        / run
            .data_of(&o.trained.spec)
            .view(datasets::Split::Test)
            .shape()
            .channels;
    let x = tensor::Matrix::from_fn(1, pixels.len(), |_, i| scaling.apply(i / plane, pixels[i]));
    let p = o.trained.model.predict_proba(x.view());
    p.as_slice().iter().map(|&v| f64::from(v)).collect()
}

/// The probabilities the page shows, by class.
async fn shown_probabilities(c: &Client) -> Result<Vec<f64>> {
    let v = js(
        c,
        "return [...document.querySelectorAll('#probs .prob')].map(r => Number(r.dataset.p))",
    )
    .await?;
    Ok(v.as_array()
        .context("an array")?
        .iter()
        .filter_map(Value::as_f64)
        .collect())
}

fn bytes(v: &Value) -> Result<Vec<u8>> {
    v.as_array()
        .context("an array")?
        .iter()
        .map(|x| {
            x.as_u64()
                .filter(|&x| x < 256)
                .map(|x| x as u8)
                .context("a byte")
        })
        .collect()
}

/// The pad's pixels as the page reads them, and what the page's preprocessing makes of them
/// (`fit`, which also turns each drawing into the network's input).
async fn pad_and_fit(c: &Client) -> Result<(Vec<u8>, usize, Vec<u8>)> {
    let v = js(
        c,
        "const p = window.ml4aDraw.pad(); \
         return [p.pixels, p.width, window.ml4aDraw.fit(p.pixels, p.width, p.height)]",
    )
    .await?;
    let width = v[1].as_u64().context("a width")? as usize;
    Ok((bytes(&v[0])?, width, bytes(&v[2])?))
}

/// The page's preprocessing of what is on the pad is byte for byte
/// `experiments::draw::mnist_style` of the same pixels.
/// Gives Rust's image.
async fn fit_as_rust(c: &Client, what: &str) -> Result<Vec<u8>> {
    let (pad, width, page) = pad_and_fit(c).await?;
    let rust = experiments::draw::mnist_style(&pad, width)?;
    ensure!(
        page.len() == 784,
        "{what}: the page's input has {} pixels",
        page.len()
    );
    let differ = page.iter().zip(&rust).filter(|(a, b)| a != b).count();
    ensure!(
        differ == 0,
        "{what}: {differ} of 784 preprocessed pixels differ between the page and Rust"
    );
    ensure!(
        rust.iter().any(|&v| v > 0),
        "{what}: nothing on the pad survives preprocessing"
    );
    Ok(rust)
}

async fn page_input(c: &Client) -> Result<Vec<u8>> {
    let v = js(c, "return window.ml4aDraw.input()").await?;
    Ok(v.as_array()
        .context("an array")?
        .iter()
        .filter_map(Value::as_u64)
        .map(|x| x as u8)
        .collect())
}

/// For each MNIST network: the page scores the drawn `input` as Rust does, and (on the real
/// data, whose networks read digits) takes it for `digit`. Screenshots each network's view.
async fn drawn_digit_reads_as(
    c: &Client,
    run: &Results,
    input: &[u8],
    digit: usize,
    shots: Option<&Path>,
) -> Result<()> {
    for o in run
        .outcomes
        .iter()
        .filter(|o| o.trained.spec.id.starts_with("mnist"))
    {
        let id = &o.trained.spec.id;
        choose_network(c, id).await?;
        let shown = shown_probabilities(c).await?;
        close(
            &shown,
            &rust_probabilities(run, id, input),
            &format!("the drawn {digit}"),
        )?;
        ensure!(
            !real_data() || top_class(&shown) == digit,
            "{id}: the drawn {digit} is taken for a {} ({shown:?})",
            top_class(&shown)
        );
        screenshot(c, shots, &format!("draw-{id}.png")).await?;
    }
    Ok(())
}

/// Whether the pages come from the real chapter data (`chapter_run`), whose networks read
/// digits, rather than from generated data.
fn real_data() -> bool {
    std::env::var_os("ML4A_DATA").is_some_and(|v| !v.is_empty())
}

/// The class with the largest probability.
fn top_class(p: &[f64]) -> usize {
    (0..p.len()).fold(0, |best, i| if p[i] > p[best] { i } else { best })
}

fn close(page: &[f64], rust: &[f64], what: &str) -> Result<()> {
    ensure!(
        page.len() == rust.len() && !page.is_empty(),
        "{what}: {page:?} against {rust:?}"
    );
    let worst = page
        .iter()
        .zip(rust)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    ensure!(
        worst < 1e-5,
        "{what}: the page's probabilities differ from Rust's by {worst}"
    );
    Ok(())
}

async fn choose_network(c: &Client, id: &str) -> Result<()> {
    js(c, &format!("const m = document.getElementById('net'); m.value = '{id}'; m.dispatchEvent(new Event('change')); return m.value")).await?;
    Ok(())
}

/// The draw page: twenty held-out samples give Rust's probabilities for every network; a 1 and a
/// 0 drawn with the pen become MNIST-style inputs (fitted into 20x20, centred by mass) that the
/// page scores as Rust does, and the chapter's MNIST networks read as a 1 and a 0; the Korean
/// switch speaks Korean.
async fn draw_page(c: &Client, run: &Results, out: &Path, shots: Option<&Path>) -> Result<()> {
    let path = out.join("demos/draw.html");
    let html = std::fs::read_to_string(&path)?;
    ensure!(html.len() < 1_500_000, "draw.html is {} bytes", html.len());
    c.goto(&file_url(&path)).await?;
    no_console_errors(c, "draw.html on load").await?;
    nothing_fetched(c, "draw.html").await?;

    // Held-out samples, every network of each dataset.
    for (g, prefix) in ["mnist", "cifar"].iter().enumerate() {
        c.find(Locator::Css(&format!("label[for=dataset-{g}]")))
            .await?
            .click()
            .await?;
        for o in run
            .outcomes
            .iter()
            .filter(|o| o.trained.spec.id.starts_with(prefix))
        {
            let id = &o.trained.spec.id;
            choose_network(c, id).await?;
            // Twenty of the page's held-out samples, spread over its list.
            for k in (0..20).map(|i| i * 3) {
                js(c, &format!("window.ml4aDraw.pickSample({k}); return 0")).await?;
                let pixels = page_input(c).await?;
                close(
                    &shown_probabilities(c).await?,
                    &rust_probabilities(run, id, &pixels),
                    &format!("{id} sample {k}"),
                )?;
                if *prefix == "mnist" {
                    // The sample, shown large on the pad, prepared as a drawing would be.
                    fit_as_rust(c, &format!("{id} sample {k} as drawn")).await?;
                }
            }
            if *prefix == "cifar" && id.ends_with("2layer") {
                screenshot(c, shots, "draw-cifar.png").await?;
            }
        }
    }

    // A stroke with the mouse on the MNIST pad: a slanted line, drawn in two parts.
    c.find(Locator::Css("label[for=dataset-0]"))
        .await?
        .click()
        .await?;
    c.find(Locator::Id("clear")).await?.click().await?;
    let pad = c.find(Locator::Id("pad")).await?;
    let first = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: pad.clone(),
            duration: None,
            x: -30.0,
            y: -100.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 20.0,
            y: 100.0,
        });
    c.perform_actions(first).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    screenshot(c, shots, "draw-mid-stroke.png").await?;
    let rest = MouseActions::new("pen".into())
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 20.0,
            y: 100.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(rest).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let input = page_input(c).await?;
    ensure!(input.len() == 784, "the input has {} pixels", input.len());
    ensure!(
        input == fit_as_rust(c, "the drawn 1").await?,
        "the network is not shown the preprocessed drawing"
    );
    let ink: Vec<(usize, usize, f64)> = input
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0)
        .map(|(i, v)| (i % 28, i / 28, f64::from(*v)))
        .collect();
    ensure!(!ink.is_empty(), "the stroke left no ink in the input");
    let (x0, x1) = (
        ink.iter().map(|p| p.0).min().unwrap(),
        ink.iter().map(|p| p.0).max().unwrap(),
    );
    let (y0, y1) = (
        ink.iter().map(|p| p.1).min().unwrap(),
        ink.iter().map(|p| p.1).max().unwrap(),
    );
    ensure!(
        (17..=20).contains(&(y1 - y0)),
        "a tall stroke fills the 20-pixel box: rows {y0}..={y1}"
    );
    ensure!(x1 - x0 < 20, "columns {x0}..={x1}");
    let mass: f64 = ink.iter().map(|p| p.2).sum();
    let cx = ink.iter().map(|p| (p.0 as f64 + 0.5) * p.2).sum::<f64>() / mass;
    let cy = ink.iter().map(|p| (p.1 as f64 + 0.5) * p.2).sum::<f64>() / mass;
    ensure!(
        (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
        "centre of mass ({cx:.2}, {cy:.2})"
    );
    drawn_digit_reads_as(c, run, &input, 1, shots).await?;

    // A 0: an oval drawn as one closed stroke of 24 segments.
    c.find(Locator::Id("clear")).await?.click().await?;
    let mut oval = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: pad.clone(),
            duration: None,
            x: 0.0,
            y: -90.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    let point = |t: f64| (60.0 * t.sin(), -90.0 * t.cos());
    for i in 1..=24 {
        let (a, b) = (
            point((i - 1) as f64 * std::f64::consts::TAU / 24.0),
            point(i as f64 * std::f64::consts::TAU / 24.0),
        );
        oval = oval.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(10)),
            x: b.0 - a.0,
            y: b.1 - a.1,
        });
    }
    c.perform_actions(oval.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    }))
    .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let input = page_input(c).await?;
    ensure!(
        input == fit_as_rust(c, "the drawn 0").await?,
        "the network is not shown the preprocessed drawing"
    );
    drawn_digit_reads_as(c, run, &input, 0, None).await?;
    screenshot(c, shots, "draw-zero.png").await?;
    no_console_errors(c, "draw.html after drawing").await?;

    // Korean: the switch turns the page's text and CIFAR-10's class names to Korean.
    c.find(Locator::Css("label[for=lang-ko]"))
        .await?
        .click()
        .await?;
    let state = js(c, "return [document.documentElement.lang, document.querySelector('header h1').textContent, document.getElementById('sample').textContent]").await?;
    ensure!(
        state == json!(["ko", "숫자를 직접 그려 보기", "샘플"]),
        "Korean page: {state}"
    );
    screenshot(c, shots, "draw-ko.png").await?;
    c.find(Locator::Css("label[for=dataset-1]"))
        .await?
        .click()
        .await?;
    let names = js(
        c,
        "return [...document.querySelectorAll('#probs .name')].map(n => n.textContent)",
    )
    .await?;
    ensure!(
        names[0] == json!("비행기") && names[9] == json!("트럭"),
        "CIFAR-10 classes in Korean: {names}"
    );
    no_console_errors(c, "draw.html in Korean").await?;
    Ok(())
}

/// Words the Korean pages keep in Latin letters: names of datasets, of the English switch, the
/// network ids (`mnist-2layer`), the symbols of z = b + Σ w·x, and the report's statistical
/// symbols and units (Pearson r, permutation p, k clusters, n samples, kNN, PCA, stroke width
/// 2A/P in px).
const LATIN_ALLOWED: &[&str] = &[
    "English", "MNIST", "CIFAR", "mnist", "cifar", "layer", "z", "b", "w", "x", "p", "SGD", "r",
    "k", "n", "kNN", "PCA", "A", "P", "px",
];

/// Latin words on the page that are not in [`LATIN_ALLOWED`]: English left untranslated.
/// Commands and code (`code`, `pre`) are not text to translate and are left out.
async fn untranslated(c: &Client) -> Result<Vec<String>> {
    let words = js(
        c,
        "let t = document.body.innerText; for (const e of document.querySelectorAll('code, pre')) { t = t.split(e.innerText).join(' '); } return t.match(/[A-Za-z]+/g) || []",
    )
    .await?;
    let mut left: Vec<String> = words
        .as_array()
        .context("an array")?
        .iter()
        .filter_map(Value::as_str)
        .filter(|w| !LATIN_ALLOWED.contains(w))
        .map(str::to_string)
        .collect();
    left.sort();
    left.dedup();
    Ok(left)
}

/// The three demo pages opened with `?lang=ko`: Korean throughout, for MNIST and
/// CIFAR-10 (whose class names are Korean words), with no console error.
async fn korean_pages(c: &Client, out: &Path, shots: Option<&Path>) -> Result<()> {
    for page in ["confusion.html", "weights.html", "draw.html"] {
        let url = format!("{}?lang=ko", file_url(&out.join("demos").join(page)));
        c.goto(&url).await?;
        let lang = js(c, "return document.documentElement.lang").await?;
        ensure!(lang == json!("ko"), "{page}?lang=ko has lang {lang}");
        for (g, group) in ["MNIST", "CIFAR-10"].iter().enumerate() {
            if page != "confusion.html" {
                c.find(Locator::Css(&format!("label[for=dataset-{g}]")))
                    .await?
                    .click()
                    .await?;
            } else {
                let id = if g == 0 {
                    "mnist-2layer"
                } else {
                    "cifar-2layer"
                };
                choose_network(c, id).await?;
            }
            let left = untranslated(c).await?;
            ensure!(
                left.is_empty(),
                "{page} in Korean with {group} leaves English: {left:?}"
            );
            if page == "confusion.html" && g == 1 {
                let heads = js(c, "return [...document.querySelectorAll('#matrix thead th.col')].map(t => t.textContent)").await?;
                ensure!(
                    heads[0] == json!("비행기"),
                    "CIFAR-10 columns in Korean: {heads}"
                );
                screenshot(c, shots, "confusion-ko-cifar.png").await?;
            }
        }
        no_console_errors(c, &format!("{page} in Korean")).await?;
    }
    Ok(())
}

/// The two report pages: `index.ko.html` in Korean throughout (headings, tables, captions,
/// claims), each page linking to the other at the top, every figure loaded, no console error.
async fn report_pages(c: &Client, out: &Path, shots: Option<&Path>) -> Result<()> {
    c.goto(&file_url(&out.join("index.ko.html"))).await?;
    let lang = js(c, "return document.documentElement.lang").await?;
    ensure!(lang == json!("ko"), "index.ko.html has lang {lang}");
    let left = untranslated(c).await?;
    ensure!(left.is_empty(), "index.ko.html leaves English: {left:?}");
    let heads = js(
        c,
        "return [...document.querySelectorAll('h1, h2')].map(h => h.textContent)",
    )
    .await?;
    for h in ["신경망의 내부", "정확도", "그림", "본문의 주장을 측정하다"] {
        ensure!(
            heads.as_array().is_some_and(|a| a.iter().any(|x| x == h)),
            "index.ko.html lacks the heading {h:?}: {heads}"
        );
    }
    let broken = js(c, "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))").await?;
    ensure!(broken == json!([]), "images that did not load: {broken}");
    let images = js(c, "return document.images.length").await?;
    ensure!(
        images.as_u64().unwrap_or(0) >= 5,
        "{images} figures on the Korean page"
    );
    // The demos open in Korean from the Korean page.
    let demo_links = js(c, "return [...document.querySelectorAll('a[href^=\"demos/\"]')].map(a => a.getAttribute('href'))").await?;
    ensure!(
        demo_links.as_array().is_some_and(|a| !a.is_empty()
            && a.iter()
                .all(|h| h.as_str().is_some_and(|h| h.ends_with("?lang=ko")))),
        "demo links of the Korean page: {demo_links}"
    );
    screenshot(c, shots, "index-ko.png").await?;
    no_console_errors(c, "index.ko.html").await?;

    // The link at the top leads to the English page, and its link back to the Korean one.
    let first = js(c, "const a = document.querySelector('body a'); return [a.getAttribute('href'), a.textContent]").await?;
    ensure!(
        first == json!(["index.html", "English"]),
        "first link of index.ko.html: {first}"
    );
    c.find(Locator::Css("nav.lang a")).await?.click().await?;
    let (lang, path) = (
        js(c, "return document.documentElement.lang").await?,
        js(c, "return location.pathname").await?,
    );
    ensure!(
        lang == json!("en") && path.as_str().is_some_and(|p| p.ends_with("/index.html")),
        "the link leads to {path} ({lang})"
    );
    let back = js(c, "const a = document.querySelector('body a'); return [a.getAttribute('href'), a.textContent]").await?;
    ensure!(
        back == json!(["index.ko.html", "한국어"]),
        "first link of index.html: {back}"
    );
    let h1 = js(c, "return document.querySelector('h1').textContent").await?;
    ensure!(
        h1 == json!("Looking inside neural nets"),
        "English heading {h1}"
    );
    screenshot(c, shots, "index-en.png").await?;
    no_console_errors(c, "index.html").await?;
    Ok(())
}
