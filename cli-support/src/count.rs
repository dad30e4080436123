//! Ranked counts (spec §12.8) printed as a count sheet anyone can compare with a returning
//! officer's: `thistle-verify count` on published preference data, and the tally and verifier tools on a record.
use protocol::stv::{units, Action, CountSheet, Method};
use serde_json::{json, Value};

/// The count sheet as text: each stage's action, every candidate's votes with the change from
/// the stage before, the non-transferable papers and the fractions lost, and who was elected.
pub fn sheet_text(title: &str, names: &[String], seats: usize, sheet: &CountSheet) -> String {
    let method = match sheet.method {
        Method::ScottishStv => "Scottish STV (SSI 2011/399 Sch. 1 rules 46-53)",
        _ => "the alternative vote",
    };
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(18);
    let mut out = format!(
        "{title}: {method}, {seats} seat(s), {} candidates\n",
        names.len()
    );
    out.push_str(&format!("Valid papers: {}", sheet.valid));
    if let Some(q) = sheet.quota {
        out.push_str(&format!("; quota {}", q / protocol::stv::SCALE));
    }
    out.push('\n');
    let mut before: Option<&[u64]> = None;
    for (i, stage) in sheet.stages.iter().enumerate() {
        let what = match &stage.action {
            Action::FirstPreferences => "first preferences".to_owned(),
            Action::Surplus { from, surplus } => format!(
                "surplus of {} ({}) transferred",
                names[usize::from(*from)],
                units(*surplus)
            ),
            Action::Exclusion { of } => format!("{} excluded", names[usize::from(*of)]),
        };
        out.push_str(&format!("\nStage {}: {what}\n", i + 1));
        if let Some(lot) = &stage.lot {
            let tied: Vec<&str> = lot
                .tied
                .iter()
                .map(|&c| names[usize::from(c)].as_str())
                .collect();
            out.push_str(&format!(
                "  (equal at every stage: {}; decided by lot, spec §12.8)\n",
                tied.join(", ")
            ));
        }
        for (c, name) in names.iter().enumerate() {
            let now = stage.votes[c];
            let change = before.map(|b| now as i128 - b[c] as i128).unwrap_or(0);
            let mark = if stage.elected.contains(&(c as u16)) {
                "  elected"
            } else {
                ""
            };
            let delta = if before.is_some() && change != 0 {
                format!(
                    "  ({}{})",
                    if change > 0 { "+" } else { "-" },
                    units(change.unsigned_abs() as u64)
                )
            } else {
                String::new()
            };
            out.push_str(&format!(
                "  {name:<width$}  {:>14}{delta}{mark}\n",
                units(now)
            ));
        }
        out.push_str(&format!(
            "  {:<width$}  {:>14}\n  {:<width$}  {:>14}\n",
            "non-transferable",
            units(stage.non_transferable),
            "fractions lost",
            units(stage.fractions)
        ));
        before = Some(&stage.votes);
    }
    let elected: Vec<&str> = sheet
        .elected
        .iter()
        .map(|&c| names[usize::from(c)].as_str())
        .collect();
    out.push_str(&format!("\nElected: {}\n", elected.join(", ")));
    out
}

/// The count sheet as JSON; values are decimal strings with five places.
pub fn sheet_json(title: &str, names: &[String], seats: usize, sheet: &CountSheet) -> Value {
    let name = |c: u16| names[usize::from(c)].clone();
    let stages: Vec<Value> = sheet
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let action = match &s.action {
                Action::FirstPreferences => json!({"kind": "first-preferences"}),
                Action::Surplus { from, surplus } => json!({
                    "kind": "surplus", "candidate": name(*from), "surplus": units(*surplus)
                }),
                Action::Exclusion { of } => json!({"kind": "exclusion", "candidate": name(*of)}),
            };
            json!({
                "stage": i + 1,
                "action": action,
                "votes": s.votes.iter().map(|&v| units(v)).collect::<Vec<_>>(),
                "non_transferable": units(s.non_transferable),
                "fractions": units(s.fractions),
                "elected": s.elected.iter().map(|&c| name(c)).collect::<Vec<_>>(),
                "lot": s.lot.as_ref().map(|l| json!({
                    "tied": l.tied.iter().map(|&c| name(c)).collect::<Vec<_>>(),
                    "chosen": name(l.chosen),
                })),
            })
        })
        .collect();
    json!({
        "title": title,
        "method": match sheet.method { Method::ScottishStv => "scottish-stv", _ => "av" },
        "seats": seats,
        "candidates": names,
        "valid": sheet.valid,
        "quota": sheet.quota.map(|q| q / protocol::stv::SCALE),
        "stages": stages,
        "elected": sheet.elected.iter().map(|&c| name(c)).collect::<Vec<_>>(),
    })
}

/// A manifest contest's candidate names and seats, as the count sheet names them.
fn names_and_seats(contest: &protocol::manifest::Contest) -> (Vec<String>, usize) {
    let names = contest.options.iter().map(|o| o.title.clone()).collect();
    let seats = match contest.kind {
        protocol::manifest::ContestKind::Ranked { seats, .. } => seats as usize,
        _ => 1,
    };
    (names, seats)
}

/// [`sheet_text`] for a ranked contest of a manifest.
pub fn contest_sheet_text(contest: &protocol::manifest::Contest, sheet: &CountSheet) -> String {
    let (names, seats) = names_and_seats(contest);
    sheet_text(&contest.title, &names, seats, sheet)
}

/// [`sheet_json`] for a ranked contest of a manifest.
pub fn contest_sheet_json(contest: &protocol::manifest::Contest, sheet: &CountSheet) -> Value {
    let (names, seats) = names_and_seats(contest);
    sheet_json(&contest.title, &names, seats, sheet)
}
