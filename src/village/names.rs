//! Place-name matching across scripts and transliterations.
//!
//! The same village is written Voskepar, Voskapar, Ոսկեպար and Воскепар;
//! Aşağı Əskipara and Ashagi Askipara. [`fold`] maps all of them to one
//! ASCII key. [`NameIndex`] looks a query up by exact name first, then by
//! folded key, and suggests the closest names when nothing matches.

use std::collections::BTreeMap;

use crate::layer::Layer;

/// Fold a place name to its matching key: lower case, no diacritics or
/// punctuation, any script transliterated to ASCII, and the common
/// transliteration variants merged.
///
/// The rules, in order (each is a documented, deliberate over-merge: an
/// exact match still wins, and an ambiguous name lists its candidates):
/// 1. Azerbaijani letters with a two-letter English reading: ş→sh, ç→ch,
///    ğ→gh, ə→a, ı→i, x→kh, c→j (c is /dʒ/ in Azerbaijani).
/// 2. Everything else is transliterated to ASCII (Armenian, Cyrillic,
///    accented Latin) and all but letters and digits dropped.
/// 3. dzh, dj → j; kh → x; gh → g; q → g; tz → ts; w → v; e → a; a
///    doubled letter → one.
///
/// ```
/// use delimit::village::names::fold;
/// assert_eq!(fold("Voskepar"), fold("Voskapar"));
/// assert_eq!(fold("Aşağı Əskipara"), fold("Ashagi Askipara"));
/// assert_eq!(fold("Kirants"), fold("Kirantz"));
/// assert_eq!(fold("Qazax"), fold("Gazakh"));
/// assert_eq!(fold("Jalilabad"), fold("Cəlilabad"));
/// assert_eq!(fold("Dzhalilabad"), fold("Jalilabad"));
/// assert_ne!(fold("Berd"), fold("Bərdə"));
/// ```
pub fn fold(name: &str) -> String {
    fold_with(name, true)
}

/// Both keys of a name: [`fold`], and the fold of the name with its
/// diacritics simply dropped (ş→s, ç→c, ğ→g, ə→e, ı→i), which is how
/// Başkənd is typed on a keyboard without them: "Baskend".
///
/// ```
/// use delimit::village::names::fold_keys;
/// let a = fold_keys("Başkənd");
/// assert!(fold_keys("Baskend").iter().any(|k| a.contains(k)));
/// assert!(fold_keys("Bashkend").iter().any(|k| a.contains(k)));
/// ```
pub fn fold_keys(name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let a = fold_lower(&lower, true);
    // The two keys differ only where a letter read two ways occurs; most
    // names have none, and are folded once (the index folds every name).
    if !lower.chars().any(|c| matches!(c, 'ş' | 'ç' | 'ğ' | 'ə' | 'ǝ' | 'ı' | 'x' | 'c')) {
        return vec![a];
    }
    let b = fold_lower(&lower, false);
    if a == b { vec![a] } else { vec![a, b] }
}

fn fold_with(name: &str, digraphs: bool) -> String {
    fold_lower(&name.to_lowercase(), digraphs)
}

/// [`fold_with`] of a name already in lower case. Written for speed (an
/// index folds every name of the layer): no copy where a step changes
/// nothing. `tests::fast_fold_equals_the_plain_rules` holds it to the
/// rules written out plainly.
fn fold_lower(lower: &str, digraphs: bool) -> String {
    let mut pre = String::with_capacity(lower.len() + 4);
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if !digraphs {
            match c {
                'ş' => pre.push('s'),
                'ç' => pre.push('c'),
                'ğ' => pre.push('g'),
                'ə' | 'ǝ' => pre.push('e'),
                'ı' => pre.push('i'),
                other => pre.push(other),
            }
            continue;
        }
        match c {
            'ş' => pre.push_str("sh"),
            'ç' => pre.push_str("ch"),
            'ğ' => pre.push_str("gh"),
            'ə' | 'ǝ' => pre.push('a'),
            'ı' => pre.push('i'),
            'x' => pre.push_str("kh"),
            // Azerbaijani c; but "ch" and "ts"-style English spellings keep theirs.
            'c' if chars.peek() != Some(&'h') => pre.push('j'),
            other => pre.push(other),
        }
    }
    let ascii: std::borrow::Cow<'_, str> = if pre.is_ascii() {
        std::borrow::Cow::Borrowed(pre.as_str())
    } else {
        std::borrow::Cow::Owned(deunicode::deunicode(&pre))
    };
    let mut s: String =
        ascii.bytes().filter(u8::is_ascii_alphanumeric).map(|b| char::from(b.to_ascii_lowercase())).collect();
    for (from, to) in
        [("dzh", "j"), ("dj", "j"), ("kh", "x"), ("gh", "g"), ("q", "g"), ("tz", "ts"), ("w", "v"), ("e", "a")]
    {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut last = None;
    for b in s.bytes() {
        if last != Some(b) {
            out.push(char::from(b));
            last = Some(b);
        }
    }
    out
}

/// How a query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The id of the feature.
    Id,
    /// The primary name, ignoring case: it wins over other places'
    /// alternate names, so `Tovuz` is the town and not every place once
    /// called so.
    Primary,
    /// An alternate name, ignoring case.
    Exact,
    /// The folded keys are equal.
    Folded,
}

impl MatchKind {
    /// How a reader is told the query matched.
    pub fn describe(self) -> &'static str {
        match self {
            MatchKind::Id => "its settlement id",
            MatchKind::Primary => "its name",
            MatchKind::Exact => "an alternate name",
            MatchKind::Folded => "a spelling variant",
        }
    }
}

/// The result of a name lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Features (indices into the layer) that match best, and how. More
    /// than one means the name is ambiguous.
    Found(MatchKind, Vec<usize>),
    /// No match; the closest names (up to three), best first.
    NotFound(Vec<String>),
}

/// Every name and alternate name of a settlements layer, by exact (case
/// folded) spelling and by folded key.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Primary names, case folded.
    primary: BTreeMap<String, Vec<usize>>,
    exact: BTreeMap<String, Vec<usize>>,
    ids: BTreeMap<String, usize>,
    /// Every (feature, name), in layer order, for the folded keys.
    names: Vec<(usize, String)>,
    /// Primary names, in layer order.
    primaries: Vec<String>,
    /// Built on the first lookup that needs it: folding every name costs
    /// most of the index, and a name spelled as in the layer never needs it.
    folded: std::sync::OnceLock<Folded>,
}

#[derive(Debug, Clone, Default)]
struct Folded {
    keys: BTreeMap<String, Vec<usize>>,
    /// (folded key, display name) for suggestions; primary names only.
    primary: Vec<(String, String)>,
}

impl NameIndex {
    /// Index `layer` by its `name_field` and `alt_field` (a JSON array or a
    /// comma-separated string).
    ///
    /// ```
    /// use delimit::village::names::{Lookup, MatchKind, NameIndex};
    /// let layer = delimit::sample::load("settlements.geojson", &Default::default()).unwrap();
    /// let idx = NameIndex::new(&layer, "name", "alternatenames");
    /// let Lookup::Found(kind, hits) = idx.lookup("Воскепар") else { panic!() };
    /// assert_eq!(kind, MatchKind::Exact);
    /// assert_eq!(layer.features[hits[0]].text("name").as_deref(), Some("Voskepar"));
    /// let Lookup::Found(kind, hits) = idx.lookup("Tovuz") else { panic!() };
    /// assert_eq!((kind, hits.len()), (MatchKind::Primary, 1));
    /// let Lookup::Found(kind, _) = idx.lookup("voskapar") else { panic!() };
    /// assert_eq!(kind, MatchKind::Folded);
    /// ```
    pub fn new(layer: &Layer, name_field: &str, alt_field: &str) -> NameIndex {
        let mut idx = NameIndex::default();
        for (i, f) in layer.features.iter().enumerate() {
            idx.ids.insert(f.id.to_lowercase(), i);
            let primary = f.text(name_field);
            let mut names: Vec<String> = primary.iter().cloned().collect();
            names.extend(alternate_names(f.properties.get(alt_field)));
            for n in names {
                let n = n.trim();
                if n.is_empty() {
                    continue;
                }
                push_unique(idx.exact.entry(n.to_lowercase()).or_default(), i);
                idx.names.push((i, n.to_string()));
            }
            if let Some(p) = primary {
                push_unique(idx.primary.entry(p.trim().to_lowercase()).or_default(), i);
                idx.primaries.push(p);
            }
        }
        idx
    }

    fn folded(&self) -> &Folded {
        self.folded.get_or_init(|| {
            let mut f = Folded::default();
            for (i, n) in &self.names {
                for k in fold_keys(n) {
                    if !k.is_empty() {
                        push_unique(f.keys.entry(k).or_default(), *i);
                    }
                }
            }
            f.primary = self.primaries.iter().map(|p| (fold(p), p.clone())).collect();
            f
        })
    }

    /// Look a name up: feature id first, then primary name, then any
    /// name, then folded key.
    pub fn lookup(&self, query: &str) -> Lookup {
        let q = query.trim();
        if let Some(&i) = self.ids.get(&q.to_lowercase()) {
            return Lookup::Found(MatchKind::Id, vec![i]);
        }
        if let Some(v) = self.primary.get(&q.to_lowercase()) {
            return Lookup::Found(MatchKind::Primary, v.clone());
        }
        if let Some(v) = self.exact.get(&q.to_lowercase()) {
            return Lookup::Found(MatchKind::Exact, v.clone());
        }
        let mut hits: Vec<usize> = Vec::new();
        for k in fold_keys(q) {
            for &i in self.folded().keys.get(&k).into_iter().flatten() {
                push_unique(&mut hits, i);
            }
        }
        if !hits.is_empty() {
            hits.sort_unstable();
            return Lookup::Found(MatchKind::Folded, hits);
        }
        let k = fold(q);
        // Closest primary names by Jaro-Winkler on the folded keys; ties by
        // name so that the hint is stable.
        let mut scored: Vec<(f64, &str)> =
            self.folded().primary.iter().map(|(key, name)| (strsim::jaro_winkler(&k, key), name.as_str())).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, name) in scored {
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
            if out.len() == 3 {
                break;
            }
        }
        Lookup::NotFound(out)
    }
}

fn push_unique(v: &mut Vec<usize>, i: usize) {
    if !v.contains(&i) {
        v.push(i);
    }
}

/// Alternate names from a JSON array, or a comma-separated string.
fn alternate_names(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(s)) => s.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_fold_together() {
        // Latin transliterations of one Cyrillic or Armenian spelling.
        assert_eq!(fold("Воскепар"), fold("Voskepar"));
        assert_eq!(fold("Yuxarı Əskipara"), fold("Yukhari Askipara"));
        assert_eq!(fold("Ashaghi"), fold("Aşağı"));
        assert_eq!(fold("Meğri"), fold("Meghri"));
    }

    #[test]
    fn punctuation_and_case_ignored() {
        assert_eq!(fold("Ter-Ter"), fold("terter"));
        assert_eq!(fold("Akʻsibara"), fold("Aksibara"));
    }

    /// The rules of [`fold`] as first written, one plain step after another.
    fn plain(name: &str, digraphs: bool) -> String {
        let lower = name.to_lowercase();
        let mut pre = String::new();
        let cs: Vec<char> = lower.chars().collect();
        for (i, &c) in cs.iter().enumerate() {
            let next = cs.get(i + 1).copied();
            let rep: String = match (digraphs, c) {
                (false, 'ş') => "s".into(),
                (false, 'ç') => "c".into(),
                (false, 'ğ') => "g".into(),
                (false, 'ə' | 'ǝ') => "e".into(),
                (_, 'ı') => "i".into(),
                (true, 'ş') => "sh".into(),
                (true, 'ç') => "ch".into(),
                (true, 'ğ') => "gh".into(),
                (true, 'ə' | 'ǝ') => "a".into(),
                (true, 'x') => "kh".into(),
                (true, 'c') if next != Some('h') => "j".into(),
                (_, other) => other.to_string(),
            };
            pre.push_str(&rep);
        }
        let mut s: String =
            deunicode::deunicode(&pre).to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
        for (from, to) in
            [("dzh", "j"), ("dj", "j"), ("kh", "x"), ("gh", "g"), ("q", "g"), ("tz", "ts"), ("w", "v"), ("e", "a")]
        {
            s = s.replace(from, to);
        }
        let mut out = String::new();
        for c in s.chars() {
            if !out.ends_with(c) {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn fast_fold_equals_the_plain_rules() {
        let layer = crate::sample::load("settlements.geojson", &Default::default()).unwrap();
        let mut n = 0;
        for f in &layer.features {
            let mut names: Vec<String> = f.text("name").into_iter().collect();
            names.extend(alternate_names(f.properties.get("alternatenames")));
            for name in names {
                let mut want = vec![plain(&name, true)];
                if plain(&name, false) != want[0] {
                    want.push(plain(&name, false));
                }
                assert_eq!(fold_keys(&name), want, "{name}");
                n += 1;
            }
        }
        assert!(n > 10_000, "{n} names");
    }

    proptest::proptest! {
        #[test]
        fn fast_fold_equals_the_plain_rules_on_any_text(name in "[a-zA-Z şçğəǝıƏŞÇĞIİxXcCqQwWeE\\-ʻ'ԱաՈոսկեպարВоскепар]{0,24}") {
            let (a, b) = (plain(&name, true), plain(&name, false));
            proptest::prop_assert_eq!(fold_with(&name, true), a.clone());
            proptest::prop_assert_eq!(fold_with(&name, false), b.clone());
            proptest::prop_assert_eq!(fold_keys(&name), if a == b { vec![a] } else { vec![a, b] });
        }
    }

    #[test]
    fn distinct_names_stay_distinct() {
        assert_ne!(fold("Voskepar"), fold("Vazashen"));
        assert_ne!(fold("Berd"), fold("Barda"));
        assert_eq!(fold("Ijevan"), fold("Idjevan"));
    }
}
