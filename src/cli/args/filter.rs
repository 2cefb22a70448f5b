//! Which pieces of an overlay to write and sum.

use clap::Args;

/// Which pieces to write and sum. Applied after the overlay and its
/// conservation check: measures never change, and what is left out is
/// counted in the summary.
#[derive(Debug, Clone, Args)]
pub(crate) struct FilterArgs {
    /// Only pieces between two parties, in either role: --pair ARM,AZE keeps
    /// ARM held by AZE and AZE held by ARM.
    #[arg(long, value_name = "A,B")]
    pub pair: Option<String>,
    /// Only pieces legally of this owner (repeatable).
    #[arg(long = "owner", value_name = "CODE")]
    pub owners: Vec<String>,
    /// Only pieces held by this controller (repeatable; a contested piece
    /// matches each of its controllers).
    #[arg(long = "controller", value_name = "CODE")]
    pub controllers: Vec<String>,
    /// Only pieces of this class (repeatable): held_by_other,
    /// contested_control, dual_claim, held_by_owner, unassigned,
    /// outside_basis.
    #[arg(long = "class", value_name = "CLASS", value_parser = delimit::overlay::Class::ALL.map(delimit::overlay::Class::as_str))]
    pub classes: Vec<String>,
    /// Leave out pieces smaller than this, km².
    #[arg(long, value_name = "KM2", value_parser = crate::cli::args::non_negative_number)]
    pub min_area_km2: Option<f64>,
    /// Leave out slivers.
    #[arg(long)]
    pub no_slivers: bool,
}

impl FilterArgs {
    pub fn filter(&self) -> delimit::Result<delimit::overlay::GapFilter> {
        let f = delimit::overlay::GapFilter {
            pair: self.pair.as_deref().map(delimit::overlay::parse_pair).transpose()?,
            owners: self.owners.clone(),
            controllers: self.controllers.clone(),
            classes: self
                .classes
                .iter()
                .map(|c| delimit::overlay::Class::from_name(c))
                .collect::<delimit::Result<_>>()?,
            min_area_km2: self.min_area_km2,
            no_slivers: self.no_slivers,
        };
        f.validate()?;
        Ok(f)
    }

    /// The filter as typed, for the summary.
    pub fn describe(&self) -> String {
        let mut v = Vec::new();
        if let Some(p) = &self.pair {
            v.push(format!("--pair {p}"));
        }
        v.extend(self.owners.iter().map(|o| format!("--owner {o}")));
        v.extend(self.controllers.iter().map(|o| format!("--controller {o}")));
        v.extend(self.classes.iter().map(|o| format!("--class {o}")));
        if let Some(m) = self.min_area_km2 {
            v.push(format!("--min-area-km2 {m}"));
        }
        if self.no_slivers {
            v.push("--no-slivers".into());
        }
        v.join(" ")
    }
}
