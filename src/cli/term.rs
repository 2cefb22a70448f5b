//! Text for a terminal: values from files (owner codes, field and place
//! names) may hold control characters, which a terminal obeys: ESC starts
//! a sequence that can recolour, move the cursor or set the title, CR
//! overwrites the line, U+202E reverses what follows. Human-readable text
//! is escaped on its way out; JSON and files keep the exact text.

use std::borrow::Cow;
use std::io::Write;

use delimit::markup::is_control_or_bidi as is_unsafe;

fn escape_with(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !(keep_newlines && c == '\n')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            c if is_unsafe(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One line: every control character escaped, newlines too.
///
/// The output of `escape("a\u{1b}[2Jb\nhint: x")` is `a\u{1b}[2Jb\u{a}hint: x`.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

/// Text of several lines: every control character escaped but the newline.
pub(crate) fn escape_text(s: &str) -> Cow<'_, str> {
    escape_with(s, true)
}

/// A writer that escapes control characters (but newlines) in what passes
/// through it: human-readable output to stdout. Input that is not UTF-8
/// is passed through lossily.
pub(crate) struct Safe<W: Write> {
    inner: W,
    /// Bytes of a character split across two writes.
    pending: Vec<u8>,
}

impl<W: Write> Safe<W> {
    pub(crate) fn new(inner: W) -> Self {
        Safe { inner, pending: Vec::new() }
    }
}

impl<W: Write> Write for Safe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // Keep an incomplete character at the end for the next write.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        self.inner.write_all(escape_text(&text).as_bytes())?;
        self.pending.drain(..valid);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            self.pending.clear();
            self.inner.write_all(escape_text(&text).as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Safe<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped_and_text_is_kept() {
        assert_eq!(escape("ARM"), "ARM");
        assert_eq!(escape("Ջերմուկ Cəbrayıl"), "Ջերմուկ Cəbrayıl");
        assert_eq!(escape("a\u{1b}]0;x\u{7}b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(escape("x\rhint: y"), "x\\u{d}hint: y");
        assert_eq!(escape("x\nhint: y"), "x\\u{a}hint: y");
        assert_eq!(escape("\u{202e}MRA"), "\\u{202e}MRA");
        assert_eq!(escape("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(escape_text("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    #[test]
    fn the_writer_escapes_across_split_characters() {
        let mut out = Vec::new();
        {
            let mut w = Safe::new(&mut out);
            let s = "é\u{1b}[31m\n".as_bytes();
            w.write_all(&s[..1]).unwrap();
            w.write_all(&s[1..]).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é\\u{1b}[31m\n");
    }
}
