//! Which pieces of an overlay an analyst asked for: by pair of parties,
//! owner, controller, class, area and sliver flag. Filtering happens after
//! the overlay and its conservation check, so it never changes a measure,
//! only what is written and summed; what it left out is counted.

use super::{Class, Gap};
use crate::error::{Error, Result};

impl Class {
    /// Every class, in summary order.
    pub const ALL: [Class; 6] = [
        Class::HeldByOther,
        Class::ContestedControl,
        Class::DualClaim,
        Class::HeldByOwner,
        Class::Unassigned,
        Class::OutsideBasis,
    ];

    /// A class by its output name.
    ///
    /// ```
    /// use delimit::overlay::Class;
    /// assert_eq!(Class::from_name("held_by_other").unwrap(), Class::HeldByOther);
    /// assert!(Class::from_name("gap").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == name.trim()).ok_or_else(|| Error::Usage {
            option: "--class".into(),
            message: format!("`{name}` is not a class"),
            hint: Some(format!("classes: {}", Class::ALL.map(Class::as_str).join(", "))),
        })
    }
}

/// A filter on pieces; the default keeps everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GapFilter {
    /// Two parties, in either role: owner A held by B, or owner B held by A.
    pub pair: Option<(String, String)>,
    /// Legal owners to keep (any of them; a dual claim matches each of its owners).
    pub owners: Vec<String>,
    /// Controllers to keep (any of them; a contested piece matches each of its controllers).
    pub controllers: Vec<String>,
    /// Classes to keep (any of them).
    pub classes: Vec<Class>,
    /// Pieces smaller than this are left out, km².
    pub min_area_km2: Option<f64>,
    /// Leave slivers out.
    pub no_slivers: bool,
}

/// What a filter left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Filtered {
    pub pieces: usize,
    pub km2: f64,
}

/// Parse `--pair A,B` (or `A|B`): two distinct, non-empty party codes.
///
/// ```
/// let p = delimit::overlay::parse_pair("ARM,AZE").unwrap();
/// assert_eq!(p, ("ARM".to_string(), "AZE".to_string()));
/// assert!(delimit::overlay::parse_pair("ARM").is_err());
/// ```
pub fn parse_pair(text: &str) -> Result<(String, String)> {
    let bad = |m: String| Error::Usage {
        option: "--pair".into(),
        message: m,
        hint: Some("give two party codes: --pair ARM,AZE".into()),
    };
    let parts: Vec<&str> = text.split([',', '|']).map(str::trim).collect();
    match parts[..] {
        [a, b] if !a.is_empty() && !b.is_empty() && a != b => Ok((a.to_string(), b.to_string())),
        _ => Err(bad(format!("`{text}` is not two distinct party codes"))),
    }
}

impl GapFilter {
    /// Whether any criterion is set.
    pub fn is_active(&self) -> bool {
        *self != GapFilter::default()
    }

    /// Refuse a negative or non-finite minimum area.
    pub fn validate(&self) -> Result<()> {
        match self.min_area_km2 {
            Some(a) if !(a >= 0.0 && a.is_finite()) => Err(Error::Usage {
                option: "--min-area-km2".into(),
                message: format!("{a} is not a non-negative area"),
                hint: None,
            }),
            _ => Ok(()),
        }
    }

    /// Whether a piece is kept.
    pub fn keeps(&self, g: &Gap) -> bool {
        // A dual claim has two owners, as a contested piece has two controllers.
        let owners: Vec<&str> = g.owner.as_deref().map(|c| c.split('|').collect()).unwrap_or_default();
        let controllers: Vec<&str> = g.controller.as_deref().map(|c| c.split('|').collect()).unwrap_or_default();
        let pair_ok = self.pair.as_ref().is_none_or(|(a, b)| {
            (owners.contains(&a.as_str()) && controllers.contains(&b.as_str()))
                || (owners.contains(&b.as_str()) && controllers.contains(&a.as_str()))
        });
        pair_ok
            && (self.owners.is_empty() || owners.iter().any(|o| self.owners.iter().any(|x| x == o)))
            && (self.controllers.is_empty() || controllers.iter().any(|c| self.controllers.iter().any(|x| x == c)))
            && (self.classes.is_empty() || self.classes.contains(&g.class))
            && self.min_area_km2.is_none_or(|m| g.area_m2 / 1e6 >= m)
            && !(self.no_slivers && g.sliver)
    }

    /// Keep what the filter keeps; count what it leaves out.
    pub fn apply(&self, gaps: &mut Vec<Gap>) -> Filtered {
        let mut out = Filtered::default();
        gaps.retain(|g| {
            let keep = self.keeps(g);
            if !keep {
                out.pieces += 1;
                out.km2 += g.area_m2 / 1e6;
            }
            keep
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(class: Class, owner: &str, controller: &str, km2: f64, sliver: bool) -> Gap {
        Gap {
            id: format!("{owner}-{controller}-{km2}"),
            class,
            owner: Some(owner.into()),
            controller: Some(controller.into()),
            legal_unit: None,
            control_ids: Vec::new(),
            control_source: None,
            as_of: None,
            area_m2: km2 * 1e6,
            perimeter_m: 0.0,
            depth_m: None,
            width_m: 0.0,
            settlements: Vec::new(),
            sliver,
            geometry: geo::Polygon::new(geo::LineString::new(Vec::new()), Vec::new()),
        }
    }

    fn sample() -> Vec<Gap> {
        vec![
            gap(Class::HeldByOther, "ARM", "AZE", 5.0, false),
            gap(Class::HeldByOther, "AZE", "ARM", 2.0, false),
            gap(Class::HeldByOther, "AZE", "IRN", 1.0, false),
            gap(Class::ContestedControl, "ARM", "ARM|AZE", 0.5, true),
            gap(Class::HeldByOwner, "ARM", "ARM", 100.0, false),
        ]
    }

    fn kept(f: &GapFilter) -> Vec<String> {
        let mut g = sample();
        let total: f64 = g.iter().map(|x| x.area_m2).sum();
        let out = f.apply(&mut g);
        // Conservation: kept and left out add up to the whole.
        let kept: f64 = g.iter().map(|x| x.area_m2).sum();
        assert!((kept / 1e6 + out.km2 - total / 1e6).abs() < 1e-9);
        assert_eq!(g.len() + out.pieces, 5);
        g.into_iter().map(|x| x.id).collect()
    }

    #[test]
    fn each_criterion_keeps_what_it_names() {
        let pair = GapFilter { pair: Some(parse_pair("AZE,ARM").unwrap()), ..Default::default() };
        assert_eq!(kept(&pair), ["ARM-AZE-5", "AZE-ARM-2", "ARM-ARM|AZE-0.5"]);
        assert_eq!(kept(&GapFilter { owners: vec!["AZE".into()], ..Default::default() }), ["AZE-ARM-2", "AZE-IRN-1"]);
        assert_eq!(
            kept(&GapFilter { controllers: vec!["AZE".into()], ..Default::default() }),
            ["ARM-AZE-5", "ARM-ARM|AZE-0.5"]
        );
        assert_eq!(
            kept(&GapFilter { classes: vec![Class::ContestedControl], ..Default::default() }),
            ["ARM-ARM|AZE-0.5"]
        );
        assert_eq!(
            kept(&GapFilter { min_area_km2: Some(2.0), ..Default::default() }),
            ["ARM-AZE-5", "AZE-ARM-2", "ARM-ARM-100"]
        );
        assert_eq!(kept(&GapFilter { no_slivers: true, ..Default::default() }).len(), 4);
        assert_eq!(kept(&GapFilter::default()).len(), 5);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse_pair("ARM,ARM").is_err());
        assert!(parse_pair("ARM,").is_err());
        assert!(parse_pair("A,B,C").is_err());
        assert!(GapFilter { min_area_km2: Some(-1.0), ..Default::default() }.validate().is_err());
        assert!(GapFilter { min_area_km2: Some(f64::NAN), ..Default::default() }.validate().is_err());
    }
}
