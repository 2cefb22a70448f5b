//! `delimit report`: a real browser (Debian's chromium, headless) renders
//! it; escaping holds against hostile names; the output is deterministic.

use std::path::{Path, PathBuf};

use crate::util::{artefacts, delimit, run};

/// Headless Chromium with the flags this machine's closed network needs
/// (without the background-networking ones it retries Google's hosts).
fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is needed by this test: `make test` installs Debian's chromium (see README)"
    );
    std::process::Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

fn report(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let r = run(delimit().arg("report").arg("-o").arg(&out).args(extra));
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

/// `html` printed to `pdf` (A4, no browser header or footer), as a reader
/// would print it.
fn print_to_pdf(profile: &Path, html: &Path, pdf: &Path) -> PathBuf {
    let out = chromium(
        profile,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
            &format!("file://{}", html.display()),
        ],
    );
    assert!(pdf.exists(), "no PDF: {}", String::from_utf8_lossy(&out.stderr));
    pdf.to_path_buf()
}

/// Share of non-white pixels and the number of distinct colours, sampled.
fn painted(png_path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (mut painted, mut total) = (0usize, 0usize);
    let mut colours = std::collections::BTreeSet::new();
    for px in buf[..info.buffer_size()].chunks(channels).step_by(7) {
        total += 1;
        colours.insert((px[0], px[1], px[2]));
        if px[..3] != [255, 255, 255] {
            painted += 1;
        }
    }
    (painted as f64 / total as f64, colours.len())
}

#[test]
fn browser_renders_the_report_with_map_and_gap_table() {
    let dir = artefacts("report");
    let html = report(&dir, "report.html", &[]);
    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no scripts, no fetched resources.
    assert!(!text.contains("<script"), "a script in the report");
    for fetch in ["src=", "href=\"http", "@import", "url(http", "<link"] {
        assert!(!text.contains(fetch), "the report fetches something: {fetch}");
    }
    let profile = tempfile::tempdir().unwrap();
    let png = dir.join("report.png");
    let out = chromium(
        profile.path(),
        &["--window-size=1100,2400", &format!("--screenshot={}", png.display()), &format!("file://{}", html.display())],
    );
    assert!(png.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (share, colours) = painted(&png);
    assert!(
        share > 0.10 && colours > 50,
        "the page looks blank: {share:.3} painted, {colours} colours ({})",
        png.display()
    );

    let dom = chromium(profile.path(), &["--dump-dom", &format!("file://{}", html.display())]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains(r#"<h2 id="gaps">"#), "no gap section in the rendered DOM");
    assert!(dom.contains("<th>owner</th><th>controller</th><th>class</th>"), "no gap table in the rendered DOM");
    assert!(dom.contains("held_by_other"), "the gap table has no gaps");
    assert!(dom.contains("<svg"), "no map");
}

#[test]
fn hostile_names_show_as_text() {
    let dir = artefacts("report-hostile");
    let hostile = crate::util::hostile_inputs();
    let hostile: Vec<&str> = hostile.iter().map(String::as_str).collect();
    let html = report(&dir, "report.html", &hostile);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(!text.contains("<script"), "a hostile name became markup");
    assert!(
        text.contains("&lt;script&gt;alert(&apos;B&apos;)&lt;/script&gt;&amp;&quot;B&quot;"),
        "the hostile owner is missing or mangled"
    );
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(profile.path(), &["--dump-dom", &format!("file://{}", html.display())]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(!dom.contains("<script"), "the browser built a script element");
    assert!(dom.contains("&lt;script&gt;alert('B')&lt;/script&gt;"), "the browser does not show the name as text");
}

#[test]
fn same_inputs_give_identical_reports_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let read = |p: PathBuf| std::fs::read(p).unwrap();
    for fmt in ["html", "md"] {
        let mut outs = Vec::new();
        for threads in ["1", "2"] {
            let out = dir.path().join(format!("r{threads}.{fmt}"));
            let r = run(delimit().env("RAYON_NUM_THREADS", threads).args(["report", "--format", fmt, "-o"]).arg(&out));
            assert_eq!(r.code, 0, "{}", r.stderr);
            outs.push(read(out));
        }
        assert!(outs[0] == outs[1], "{fmt} reports differ between thread counts");
    }
    let md = String::from_utf8(read(dir.path().join("r1.md"))).unwrap();
    assert!(md.contains("| owner | controller | class | gaps | km² | slivers | sliver km² |"), "{md}");
    assert!(!md.contains("| date |"), "a date without --date");
    let dated = dir.path().join("dated.md");
    let r = run(delimit().args(["report", "--format", "md", "--date", "2026-11-28", "-o"]).arg(&dated));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&dated).unwrap().contains("| date | 2026-11-28 |"));
}

#[test]
fn report_figures_are_the_gaps_figures() {
    // The report's class table is the gaps summary, not a second computation.
    let dir = tempfile::tempdir().unwrap();
    let md = report(dir.path(), "r.md", &["--format", "md"]);
    let md = std::fs::read_to_string(md).unwrap();
    let g = run(delimit().args(["gaps", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&g.stdout).unwrap();
    for row in v["summary"]["rows"].as_array().unwrap().iter().filter(|r| r["class"] != "held_by_owner") {
        let line = format!(
            "| {} | {} | {} | {} | {:.3} |",
            // Markdown escapes the bar of a contested pair or a dual claim.
            row["owner"].as_str().unwrap().replace('|', "\\|"),
            row["controller"].as_str().unwrap().replace('|', "\\|"),
            row["class"].as_str().unwrap(),
            row["features"],
            row["km2"].as_f64().unwrap()
        );
        assert!(md.contains(&line), "missing from the report: {line}\n{md}");
    }
}

#[test]
fn bad_date_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(delimit().args(["report", "--date", "28/11/2026", "-o"]).arg(dir.path().join("r.html")));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--date"), "{}", r.stderr);
    assert!(!dir.path().join("r.html").exists());
}

/// `report` (and `qgis`, through the same full-run flags) reads
/// --legal-lines: a path that does not exist is an error, not a silent
/// fallback to the embedded legal basis.
#[test]
fn report_reads_legal_lines_and_refuses_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let r = crate::util::run(
        crate::util::delimit().args(["report", "-o"]).arg(&out).args(["--legal-lines", "/nonexistent/lines.geojson"]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent/lines.geojson"), "{}", r.stderr);
    assert!(!out.exists());
}

/// Layout, measured by the browser: no table cell's text overflows its
/// box (1400 px and 800 px wide); no two map labels (exclave names, gap
/// numbers) overlap; every legend label lies inside the legend's box. A
/// copy of the report gets a script that measures and writes its findings
/// into the page (the report itself has no script), read with --dump-dom.
/// Then the page prints to A4 (Chromium's --print-to-pdf) on a bounded
/// number of pages.
#[test]
fn layout_has_no_overflow_no_label_collision_and_prints_to_a4() {
    let dir = artefacts("report-layout");
    let html =
        report(
            &dir,
            "report.html",
            &["--control", "data/control-osm2024.geojson"]
                .map(|a| {
                    if a.starts_with("data/") {
                        crate::util::root().join(a).display().to_string()
                    } else {
                        a.to_string()
                    }
                })
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
    let probe = r#"<script>
(() => {
  const out = [];
  for (const c of document.querySelectorAll('td, th')) {
    if (c.scrollWidth > c.clientWidth + 1) out.push('overflow: ' + c.textContent.slice(0, 60));
    // Wrapping only between words: with no overflow, no word is broken.
    const s = getComputedStyle(c);
    if (s.overflowWrap !== 'normal' || s.wordBreak !== 'normal') out.push('may break words: ' + c.textContent.slice(0, 60));
  }
  const boxes = [...document.querySelectorAll('svg text.exclave, svg text.gap-number')].map(t => [t.textContent, t.getBBox()]);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) out.push('overlap: ' + a + ' / ' + b);
  }
  const legend = document.querySelector('svg g.legend rect');
  if (legend) {
    const r = legend.getBBox();
    for (const t of document.querySelectorAll('svg g.legend text')) {
      const b = t.getBBox(), m = t.parentNode.transform.baseVal.consolidate();
      const right = b.x + b.width + (m ? m.matrix.e : 0);
      if (right > r.x + r.width) out.push('legend: ' + t.textContent);
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'layout';
  pre.textContent = JSON.stringify({ problems: out, cells: document.querySelectorAll('td').length, labels: boxes.length });
  document.body.appendChild(pre);
})();
</script>"#;
    let text = std::fs::read_to_string(&html).unwrap();
    let probed = dir.join("probed.html");
    std::fs::write(&probed, text.replace("</body>", &format!("{probe}</body>"))).unwrap();
    let profile = tempfile::tempdir().unwrap();
    for width in ["1400", "800"] {
        let dom = chromium(
            profile.path(),
            &[&format!("--window-size={width},2000"), "--dump-dom", &format!("file://{}", probed.display())],
        );
        let dom = String::from_utf8_lossy(&dom.stdout);
        let json =
            dom.split(r#"<pre id="layout">"#).nth(1).and_then(|s| s.split("</pre>").next()).expect("the probe ran");
        let v: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
        assert!(v["cells"].as_u64().unwrap() > 50 && v["labels"].as_u64().unwrap() >= 3, "{v}");
        assert!(v["problems"].as_array().unwrap().is_empty(), "at {width} px: {v}");
    }
    let pdf = print_to_pdf(profile.path(), &html, &dir.join("report.pdf"));
    // Counted by poppler: byte patterns also matched the page tree and the
    // page-margin boxes' objects (13 "pages" for a 10-page PDF).
    crate::util::require_tool("pdfinfo");
    let info = std::process::Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    assert!((2..=12).contains(&pages), "{pages} pages");
}

/// A synthetic series in `dir`: a box of the sample's Armenian legal
/// territory held by AZE that grows, then shrinks. Its dates and its glob.
fn synthetic_series(dir: &Path) -> ([&'static str; 4], String) {
    let dates = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"];
    for (date, x1) in dates.iter().zip([45.05, 45.08, 45.03, 45.03]) {
        std::fs::write(
            dir.join(format!("synthetic_{date}.geojson")),
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"controller":"AZE"}},"geometry":{{"type":"Polygon","coordinates":[[[45.0,40.0],[{x1},40.0],[{x1},40.05],[45.0,40.05],[45.0,40.0]]]}}}}]}}"#
            ),
        )
        .unwrap();
    }
    (dates, dir.join("synthetic_*.geojson").to_str().unwrap().to_string())
}

/// With a control series, the report has the two charts (inline SVG with
/// axes, units and dates, one point per date and pair, one bar per nonzero
/// gain or loss) and the ten largest changes with their places; each
/// point's value is the held series `delimit changes` gives. The series is
/// synthetic: a box of the sample's Armenian legal territory held by AZE
/// that grows, then shrinks.
#[test]
fn a_series_adds_charts_and_the_largest_changes() {
    let dir = artefacts("report-series");
    let (dates, glob) = synthetic_series(&dir);
    let glob = glob.as_str();
    let html = std::fs::read_to_string(report(&dir, "series.html", &["--series", glob])).unwrap();
    let chart = |class: &str| -> String {
        let start = html.find(&format!("<svg class=\"chart {class}\"")).unwrap_or_else(|| panic!("no {class} chart"));
        let end = start + html[start..].find("</svg>").unwrap();
        html[start..end].to_string()
    };
    let (held, flows) = (chart("held"), chart("flows"));
    for (svg, titles) in
        [(&held, ["km² held", "snapshot date"]), (&flows, ["km² gained (+) / lost (−)", "period end date"])]
    {
        assert!(svg.contains("class=\"axis x\"") && svg.contains("class=\"axis y\""), "{svg}");
        for t in titles {
            assert!(svg.contains(&format!(">{t}</text>")), "no axis title {t}: {svg}");
        }
        for d in [dates[0], dates[3]] {
            assert!(svg.contains(&format!(">{d}</text>")), "no tick at {d}");
        }
    }
    // One pair (ARM territory held by AZE), four dates.
    assert_eq!(held.matches("class=\"pt\"").count(), 4, "{held}");
    // A gain in the first period, a loss in the second; the unchanged last
    // period has no bar.
    assert_eq!(flows.matches("class=\"bar gain\"").count(), 1, "{flows}");
    assert_eq!(flows.matches("class=\"bar loss\"").count(), 1, "{flows}");
    // The points are the held series of `delimit changes`.
    let r = run(delimit().args(["changes", "--json", "--no-settlements", "--series", glob]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for h in v["held"].as_array().unwrap().iter().filter(|h| h["owner"] == "ARM" && h["party"] == "AZE") {
        let want = format!("{}: ARM held by AZE: {:.3} km²", h["date"].as_str().unwrap(), h["km2"].as_f64().unwrap());
        assert!(held.contains(&want), "no point {want}: {held}");
    }
    assert!(html.contains("The ten largest changes"), "no table of the largest changes");
    assert!(html.contains("Ararat"), "the largest changes do not name their admin-1 unit");
}

/// Issue 30 §4: with a series, the whole report stands on one control
/// layer, the snapshot in force at --as-of (by default the last date): the
/// gaps table gives what `gaps --series … --as-of` gives, the sample control
/// is not an input, and `--control` with `--series` is refused. The held
/// chart draws steps, and a party has one colour in both charts and on the
/// map.
#[test]
fn one_control_layer_stands_behind_the_whole_report() {
    let dir = artefacts("report-one-control");
    let (_, glob) = synthetic_series(&dir);
    let glob = glob.as_str();
    // What `gaps` says of ARM held by AZE on a date.
    let held = |as_of: &str| -> f64 {
        let r = run(delimit().args(["gaps", "--json", "--series", glob, "--as-of", as_of]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["summary"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["class"] == "held_by_other" && x["owner"] == "ARM" && x["controller"] == "AZE")
            .map(|x| x["km2"].as_f64().unwrap())
            .unwrap()
    };
    for (name, extra, as_of) in
        [("last.html", vec![], "2024-04-01"), ("feb.html", vec!["--as-of", "2024-02-01"], "2024-02-01")]
    {
        let mut args = vec!["--series", glob];
        args.extend(extra);
        let html = std::fs::read_to_string(report(&dir, name, &args)).unwrap();
        let want = format!("{:.3}", held(as_of));
        let row = html
            .split("<tr>")
            .find(|r| r.contains(">held_by_other<") && r.contains(">ARM<") && r.contains(">AZE<"))
            .unwrap_or_else(|| panic!("{name}: no ARM held by AZE row"));
        assert!(
            row.contains(&format!(">{want}<")),
            "{name}: the gaps table is not the snapshot of {as_of} ({want} km²): {row}"
        );
        assert!(!html.contains("embedded:data/control.geojson"), "{name}: the sample control is still an input");
        // Steps: 4 dates, 7 vertices (each change drawn at its date).
        let start = html.find("<svg class=\"chart held\"").unwrap();
        let chart = &html[start..start + html[start..].find("</svg>").unwrap()];
        let pts = chart.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(pts.split(' ').count(), 7, "{pts}");
        // One colour for AZE: its line in the held chart, its bars, its map legend entry.
        let colour_after = |hay: &str, key: &str| -> String {
            let i = hay.find(key).unwrap_or_else(|| panic!("no {key}"));
            hay[i..].split('#').nth(1).unwrap()[..6].to_string()
        };
        let line = colour_after(chart, "<polyline");
        let fstart = html.find("<svg class=\"chart flows\"").unwrap();
        let flows = &html[fstart..fstart + html[fstart..].find("</svg>").unwrap()];
        let bar_at = flows.find("AZE gained").unwrap();
        let bar = flows[..bar_at].rfind("<rect class=\"bar").unwrap();
        assert_eq!(colour_after(&flows[bar..], "fill="), line, "AZE's bars and line differ");
        let legend = html.find("legal basis: AZE").unwrap();
        let entry = html[..legend].rfind("<rect").unwrap();
        assert_eq!(colour_after(&html[entry..], "stroke="), line, "AZE on the map and in the charts differ");
    }
    let r = run(delimit().args(["report", "-o"]).arg(dir.join("x.html")).args(["--series", glob, "--control", glob]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--control"), "{}", r.stderr);
}

/// Issue 30 §9: printed, every page carries the classification marking and
/// the ILLUSTRATIVE banner line, not only the first (a page handed on alone
/// still says how it is marked and what its data is); a marking that is
/// hostile CSS stays text.
#[test]
fn every_printed_page_carries_the_marking_and_the_status() {
    crate::util::require_tool("pdftotext");
    let dir = artefacts("report-print-marks");
    let html = report(&dir, "marked.html", &["--classification", "OFFICIAL \"}</style><script>x</script>"]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(!text.contains("<script>x"), "the marking broke out of the style element");
    let profile = tempfile::tempdir().unwrap();
    let pdf = print_to_pdf(profile.path(), &html, &dir.join("marked.pdf"));
    let all = std::process::Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-").output().unwrap();
    let all = String::from_utf8_lossy(&all.stdout).into_owned();
    let pages: Vec<&str> = all.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 2, "{} pages", pages.len());
    for (i, p) in pages.iter().enumerate() {
        assert!(p.contains("OFFICIAL"), "page {}: no marking", i + 1);
        assert!(p.contains("ILLUSTRATIVE DATA: not a statement of fact"), "page {}: no status", i + 1);
        assert!(p.contains(&format!("page {}", i + 1)), "page {}: no page number", i + 1);
    }
}
