//! Batches of questions that keep going: every row gets a reply with a
//! status, whatever happened to the rows before it.
//!
//! A batch comes from a CSV table (a `name` column, or `lat` and `lon`), a
//! point layer, or lines of text (a name, or LAT,LON as typed on the
//! command line). A row that cannot be read is `invalid` with its line and
//! reason; it does not stop the batch.

use std::path::Path;

use geo::{Geometry, Rect};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Answer, Context, Unresolved};
use crate::error::{Error, Result};
use crate::io::ReadOptions;
use crate::position::Position;

/// What a row asks.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// A place name or settlement id.
    Name(String),
    /// A position, with the label to echo.
    At(Position, String),
    /// The row could not be read: why.
    Invalid(String),
}

/// One row of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The line of the file (1-based, the header is line 1), or the feature
    /// number of a layer; none for command-line arguments.
    pub line: Option<usize>,
    /// The row's text as given, for messages.
    pub text: String,
    pub ask: Ask,
    /// The row's own filters (`province`, `country` or `in` columns).
    pub within: Vec<String>,
    /// Every column of the row as given, in the file's order and under its
    /// own name, to be carried into every output (empty for lines of text
    /// and command-line arguments).
    pub given: Map<String, Value>,
}

impl Query {
    /// A query from a command-line name.
    pub fn name(text: &str) -> Query {
        Query {
            line: None,
            text: text.to_string(),
            ask: Ask::Name(text.to_string()),
            within: Vec::new(),
            given: Map::new(),
        }
    }

    /// One line of text: LAT,LON when it reads as a position, else a name.
    ///
    /// ```
    /// use delimit::village::batch::{Ask, Query};
    /// assert!(matches!(Query::from_line(1, "40.646N 45.516E").ask, Ask::At(..)));
    /// assert_eq!(Query::from_line(2, " Voskepar ").ask, Ask::Name("Voskepar".into()));
    /// ```
    pub fn from_line(line: usize, text: &str) -> Query {
        let t = text.trim();
        let ask = match t.parse::<Position>() {
            Ok(p) => Ask::At(p, t.to_string()),
            Err(_) if t.is_empty() => Ask::Invalid("empty line".into()),
            Err(_) => Ask::Name(t.to_string()),
        };
        Query { line: Some(line), text: t.to_string(), ask, within: Vec::new(), given: Map::new() }
    }
}

/// How a row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Answered.
    Ok,
    /// No place has that name (or none passes the row's filters).
    NoMatch,
    /// Several places have that name.
    Ambiguous,
    /// The row could not be read.
    Invalid,
    /// Answered, but the position lies outside every polygon of the legal
    /// and control layers.
    OutsideData,
}

impl Status {
    /// Every status, in the order counts are printed.
    pub const ALL: [Status; 5] = [Status::Ok, Status::NoMatch, Status::Ambiguous, Status::Invalid, Status::OutsideData];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NoMatch => "no_match",
            Status::Ambiguous => "ambiguous",
            Status::Invalid => "invalid",
            Status::OutsideData => "outside_data",
        }
    }
}

/// The reply to one row.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub status: Status,
    /// The row's line (or feature number), where it came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The query, where there is no answer to carry it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// For `ambiguous`: the places that match; for `no_match` under a
    /// filter: the places the filter left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    /// For `no_match`: the closest names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    /// Why the row was not answered, or what to note about its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub answer: Option<Answer>,
    /// The row's own columns, under their own names.
    #[serde(rename = "input", skip_serializing_if = "Map::is_empty")]
    pub given: Map<String, Value>,
}

impl Reply {
    fn unanswered(q: &Query, status: Status, reason: String) -> Reply {
        Reply {
            status,
            line: q.line,
            query: Some(q.text.clone()),
            candidates: Vec::new(),
            suggestions: Vec::new(),
            reason: Some(reason),
            answer: None,
            given: q.given.clone(),
        }
    }

    /// The query this reply answers.
    pub fn query_text(&self) -> &str {
        self.answer.as_ref().map(|a| a.query.as_str()).or(self.query.as_deref()).unwrap_or_default()
    }
}

impl Context<'_> {
    /// Answer one row. `within` holds the batch's filters (`--in`), to
    /// which the row's own are added; `extents` are the input layers'
    /// boxes, for telling a swapped LAT,LON from a place outside the data.
    pub fn reply(&self, q: &Query, within: &[&str], extents: &[Rect<f64>]) -> Result<Reply> {
        let mut filters: Vec<&str> = within.to_vec();
        filters.extend(q.within.iter().map(String::as_str));
        let answer = match &q.ask {
            Ask::Invalid(why) => return Ok(Reply::unanswered(q, Status::Invalid, why.clone())),
            Ask::At(p, label) => {
                if let Some(s) = p.swap_suspect(extents) {
                    let reason = format!(
                        "{p} lies outside every input layer, but {s} lies inside: latitude and longitude look swapped (did you mean {}?)",
                        s.flag_text()
                    );
                    return Ok(Reply::unanswered(q, Status::Invalid, reason));
                }
                self.ask_point(p.point(), label)?
            }
            Ask::Name(n) => match self.ask_name_among(n, &filters)? {
                Ok(a) => a,
                Err(Unresolved::Ambiguous(c)) => {
                    let mut r = Reply::unanswered(q, Status::Ambiguous, format!("`{n}` matches {} places", c.len()));
                    r.candidates = c;
                    return Ok(r);
                }
                Err(Unresolved::NotFound(s)) => {
                    let mut r = Reply::unanswered(q, Status::NoMatch, format!("no place matches `{n}`"));
                    r.suggestions = s;
                    return Ok(r);
                }
                Err(Unresolved::NotWithin(c)) => {
                    let mut r = Reply::unanswered(
                        q,
                        Status::NoMatch,
                        format!("`{n}` matches {} place(s), none in {}", c.len(), filters.join(" and ")),
                    );
                    r.candidates = c;
                    return Ok(r);
                }
            },
        };
        let outside = answer.legal.status == "none" && answer.control.status == "none";
        Ok(Reply {
            status: if outside { Status::OutsideData } else { Status::Ok },
            line: q.line,
            query: None,
            candidates: Vec::new(),
            suggestions: Vec::new(),
            reason: outside
                .then(|| "the position lies outside every polygon of the legal and control layers".to_string()),
            answer: Some(answer),
            given: q.given.clone(),
        })
    }
}

impl Context<'_> {
    /// Answer many rows side by side; the replies keep the rows' order.
    pub fn reply_all(&self, rows: &[Query], within: &[&str], extents: &[Rect<f64>]) -> Result<Vec<Reply>> {
        use rayon::prelude::*;
        rows.par_iter().map(|q| self.reply(q, within, extents)).collect()
    }
}

/// The longest line a stream answers, in bytes: a name or a point is a few
/// dozen. A longer line (`/dev/zero` has no end) stops the batch.
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// Lines read ahead of the answers: the reader waits when this many are
/// queued, so that memory stays flat however fast the input comes.
const QUEUE_LINES: usize = 4096;

/// A batch answered from a stream: the replies kept (all, when `keep`),
/// and every reply's status, in order.
pub struct Streamed {
    /// The replies, when kept.
    pub replies: Vec<Reply>,
    /// Each reply's status, in input order.
    pub statuses: Vec<Status>,
}

/// One line of a stream, as read.
enum Line {
    Text(Vec<u8>),
    TooLong,
    Failed(std::io::Error),
}

/// Answer lines of text as they arrive (a name, or LAT,LON, per line):
/// a reader thread reads ahead into a bounded queue, and each round
/// answers every line already waiting, side by side, handing the replies
/// to `each` in order before the next line is waited for. Replies are
/// kept only when `keep` asks (for outputs written at the end), so that a
/// stream of any length runs in flat memory (issue 31: `yes Voskepar`
/// reached 7.5 GB in 30 s).
///
/// A line that is not UTF-8, or holds a NUL, is an `invalid` row and the
/// batch goes on; a line longer than [`MAX_LINE_BYTES`] ends it with an
/// error naming the line, after the rows before it are answered.
pub fn stream<R: std::io::Read + Send + 'static>(
    ctx: &Context<'_>,
    input: R,
    within: &[&str],
    extents: &[Rect<f64>],
    keep: bool,
    mut each: impl FnMut(&Reply) -> std::io::Result<()>,
) -> Result<Streamed> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Line>(QUEUE_LINES);
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(input);
        loop {
            let mut buf = Vec::new();
            let line = match std::io::Read::take(&mut r, MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE_BYTES => Line::TooLong,
                Ok(_) => {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                    Line::Text(buf)
                }
                Err(e) => Line::Failed(e),
            };
            let stop = !matches!(line, Line::Text(_));
            if tx.send(line).is_err() || stop {
                break;
            }
        }
    });
    let mut out = Streamed { replies: Vec::new(), statuses: Vec::new() };
    let mut n = 0;
    while let Ok(first) = rx.recv() {
        let mut chunk = Vec::new();
        let mut end: Option<Error> = None;
        for line in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok()).take(QUEUE_LINES - 1)) {
            n += 1;
            match line {
                Line::Text(bytes) => chunk.push(query_of_bytes(n, bytes)),
                Line::TooLong => {
                    end = Some(Error::BadRow {
                        path: "-".into(),
                        line: n,
                        message: format!("is longer than {MAX_LINE_BYTES} bytes"),
                        hint: Some("give one name or LAT,LON per line".into()),
                    });
                    break;
                }
                Line::Failed(source) => {
                    end = Some(Error::Read { path: "-".into(), source });
                    break;
                }
            }
        }
        for r in ctx.reply_all(&chunk, within, extents)? {
            each(&r).map_err(|source| Error::Write { path: "-".into(), source })?;
            out.statuses.push(r.status);
            if keep {
                out.replies.push(r);
            }
        }
        if let Some(e) = end {
            return Err(e);
        }
    }
    Ok(out)
}

/// A line of a stream as a query: text when it is UTF-8 without NUL, else
/// an `invalid` row that shows what it held.
fn query_of_bytes(n: usize, bytes: Vec<u8>) -> Query {
    match String::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => Query::from_line(n, &t),
        other => {
            let (text, why) = match other {
                Ok(t) => (t.replace('\0', "\u{fffd}"), "holds a NUL byte"),
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), "is not UTF-8 text"),
            };
            Query {
                line: Some(n),
                text: text.trim().to_string(),
                ask: Ask::Invalid(format!("line {n} {why}")),
                within: Vec::new(),
                given: Map::new(),
            }
        }
    }
}

/// Counts of replies by status, in [`Status::ALL`] order, zeros left out.
pub fn counts(replies: &[Reply]) -> Vec<(Status, usize)> {
    counts_of(&replies.iter().map(|r| r.status).collect::<Vec<_>>())
}

/// Counts of statuses, in [`Status::ALL`] order, zeros left out.
pub fn counts_of(statuses: &[Status]) -> Vec<(Status, usize)> {
    Status::ALL.iter().map(|&s| (s, statuses.iter().filter(|&&t| t == s).count())).filter(|&(_, n)| n > 0).collect()
}

/// Column names that hold a row's own filter.
const FILTER_COLUMNS: [&str; 3] = ["province", "country", "in"];

/// Read a batch file: CSV by its extension, anything else as a point layer.
/// Only a file that cannot be read at all is an error; a bad row becomes
/// an `invalid` query.
pub fn read_file(path: &Path, name_field: &str, opts: &ReadOptions) -> Result<Vec<Query>> {
    let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    crate::io::admit_input(path)?;
    if is_csv { read_csv(path) } else { read_points(path, name_field, opts) }
}

fn read_points(path: &Path, name_field: &str, opts: &ReadOptions) -> Result<Vec<Query>> {
    let layer = crate::io::read_layer(path, opts)?;
    Ok(layer
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let label = f.text(name_field).unwrap_or_else(|| f.id.clone());
            let ask = match &f.geometry {
                Some(Geometry::Point(p)) => Ask::At(Position::of_point(*p), label.clone()),
                _ => Ask::Invalid(format!("feature {} is not a Point", f.id)),
            };
            let within = FILTER_COLUMNS.iter().filter_map(|c| f.text(c)).collect();
            Query { line: Some(i + 1), text: label, ask, within, given: f.properties.clone() }
        })
        .collect())
}

fn read_csv(path: &Path) -> Result<Vec<Query>> {
    let bad = |line: usize, message: String, hint: Option<String>| Error::BadRow {
        path: path.to_path_buf(),
        line,
        message,
        hint,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad(1, format!("not valid CSV: {e}"), None))?;
    let raw_headers: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(1, format!("not valid CSV: {e}"), None))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let headers: Vec<String> = raw_headers.iter().map(|h| h.to_lowercase()).collect();
    let names = column_names(&raw_headers);
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (name, lat, lon) = (col(&["name"]), col(&["lat", "latitude", "y"]), col(&["lon", "lng", "longitude", "x"]));
    if name.is_none() && (lat.is_none() || lon.is_none()) {
        return Err(bad(
            1,
            format!("the header ({}) has neither `name` nor `lat` and `lon`", headers.join(", ")),
            Some("first line: name  or  lat,lon  (optionally with name as a label)".into()),
        ));
    }
    let filters: Vec<usize> = FILTER_COLUMNS.iter().filter_map(|c| col(&[c])).collect();
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line() as usize);
                out.push(Query {
                    line: Some(line),
                    text: String::new(),
                    ask: Ask::Invalid(format!("not valid CSV: {e}")),
                    within: Vec::new(),
                    given: Map::new(),
                });
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
        let within = filters.iter().filter_map(|&c| get(Some(c)).map(str::to_string)).collect();
        let text = get(name).map_or_else(|| rec.iter().collect::<Vec<_>>().join(","), str::to_string);
        let ask = match (get(lat), get(lon)) {
            (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(la), Ok(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => {
                    Ask::At(Position { lat: la, lon: lo }, get(name).map_or_else(|| format!("{a},{b}"), str::to_string))
                }
                (Ok(la), Ok(lo)) => Ask::Invalid(format!("{la},{lo} is out of range (latitude ±90, longitude ±180)")),
                (Err(_), _) => Ask::Invalid(format!("latitude `{a}` is not a number")),
                (_, Err(_)) => Ask::Invalid(format!("longitude `{b}` is not a number")),
            },
            (None, None) => match get(name) {
                Some(n) => Ask::Name(n.to_string()),
                None => Ask::Invalid("needs a name, or both lat and lon".into()),
            },
            _ => Ask::Invalid("needs both lat and lon (or neither, with a name)".into()),
        };
        // Every cell under its column's name, as given (a short row's
        // missing cells are empty).
        let given =
            names.iter().enumerate().map(|(c, n)| (n.clone(), Value::from(rec.get(c).unwrap_or_default()))).collect();
        out.push(Query { line: Some(line), text, ask, within, given });
    }
    Ok(out)
}

/// The header's names as given, each unique: a repeated name gets `_2`,
/// `_3`… so that no column is lost; an empty one is `column_N`.
fn column_names(headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let base = if h.is_empty() { format!("column_{}", i + 1) } else { h.clone() };
        let mut name = base.clone();
        let mut k = 2;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            name = format!("{base}_{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_is_invalid_and_the_rest_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.csv");
        std::fs::write(
            &p,
            "name,lat,lon,province\nMeghri,,,Syunik\nsomewhere,41.07,east,\n,,,\nfar,95,1,\nVoskepar,,,\n",
        )
        .unwrap();
        let q = read_file(&p, "name", &ReadOptions::default()).unwrap();
        assert_eq!(q.len(), 5);
        assert_eq!(q[0].ask, Ask::Name("Meghri".into()));
        assert_eq!(q[0].within, ["Syunik"]);
        assert!(matches!(&q[1].ask, Ask::Invalid(m) if m.contains("east")), "{:?}", q[1]);
        assert_eq!(q[1].line, Some(3));
        assert!(matches!(&q[2].ask, Ask::Invalid(_)));
        assert!(matches!(&q[3].ask, Ask::Invalid(m) if m.contains("out of range")));
        assert_eq!((q[4].line, &q[4].ask), (Some(6), &Ask::Name("Voskepar".into())));
    }

    #[test]
    fn a_header_without_names_or_coordinates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.csv");
        std::fs::write(&p, "place,x_coord\nMeghri,1\n").unwrap();
        assert!(matches!(read_file(&p, "name", &ReadOptions::default()), Err(Error::BadRow { line: 1, .. })));
    }
}
