//! The manifest as a person writes it: TOML with comments, read into the protocol's `Manifest`.
//! Every problem is reported with its line: TOML syntax and types, keys, times and kinds here; the
//! rules of spec §6.2 by the protocol crate, located back onto the lines that hold the fields.
use std::ops::Range;

use protocol::manifest::{
    BoardInfo, Contest, ContestKind, ContestOption, Field, Manifest, RankedMethod, TrusteeInfo,
    WitnessInfo,
};
use protocol::signature::PublicKey;
use serde::Deserialize;
use toml::Spanned;

pub use crate::error::Problem;
use crate::error::{Error, Result};

/// A commented example manifest to edit (`init`).
pub const EXAMPLE: &str = r#"# Thistle election manifest (spec §6). Edit it, then run `election-authority admin check`.
# Every key is a 64-hex-digit Ed25519 public key; each role needs its own.

# A short identifier (a–z, 0–9, -) and a title.
election_id = "council-2027"
title = "Glenbervie Community Council election 2027"

# The voting window, in UTC (RFC 3339). Ballots are accepted from opens_at until just before
# closes_at; the board refuses later ones even if nobody closes the vote.
opens_at = 2027-05-06T07:00:00Z
closes_at = 2027-05-06T22:00:00Z

# How many trustees must take part to decrypt the tally (1 <= threshold <= number of trustees).
# Privacy holds while fewer than `threshold` trustees collude.
threshold = 2

# How many of the witnesses below must cosign a checkpoint before a voter's page confirms a ballot
# under it. Leave the witnesses out (and witness_quorum = 0) only for a small private vote: the
# record then says plainly that nobody witnessed it.
witness_quorum = 2

[administrator]
# The administrator's key: `election-authority admin keygen` prints it.
key = "REPLACE: administrator public key"

[credential_authority]
# The credential authority's key: `election-authority authority keygen` prints it.
key = "REPLACE: credential authority public key"

[board]
# The bulletin board's origin and key: `bulletin-board key` and its --origin.
origin = "board.example.org/thistle"
key = "REPLACE: board public key"

# One [[trustees]] table per trustee, in order (trustee 1, 2, ...).
# Each runs `election-authority trustee keygen` and sends you the key it prints.
[[trustees]]
name = "Ailsa Grant"
key = "REPLACE: trustee 1 public key"

[[trustees]]
name = "Brodie MacLeod"
key = "REPLACE: trustee 2 public key"

[[trustees]]
name = "Catriona Ross"
key = "REPLACE: trustee 3 public key"

# One [[witnesses]] table per witness (spec §13.9): independent organisations that each keep a
# copy of the record, check it as it grows and cosign the board's checkpoints. Each runs
# `thistle-witness key` and sends you its name, key and address.
[[witnesses]]
name = "witness.uni.example.ac.uk"
key = "REPLACE: witness 1 public key"
url = "https://witness.uni.example.ac.uk"

[[witnesses]]
name = "witness.civic.example.org"
key = "REPLACE: witness 2 public key"
url = "https://witness.civic.example.org"

[[witnesses]]
name = "witness.commission.example.gov.uk"
key = "REPLACE: witness 3 public key"
url = "https://witness.commission.example.gov.uk"

# Contests. kind is one of:
#   choose      select between min and max options (min = max = 1: one of n; a referendum)
#   approval    select any number of options
#   score       give each option 0..max_score
#   cumulative  spread up to `points` points over the options
#   budget      select options whose costs add up to at most `budget` (each option has a cost)
#   ranked      rank up to `ranks` options; `seats` filled by `method` = "scottish-stv" or "av"
#               (counted after the close by a verifiable mixnet: spec §12.8-§12.11;
#               every credential must then have weight 1)
[[contests]]
id = "convener"
title = "Who should convene the council?"
kind = "choose"
min = 1
max = 1

  [[contests.options]]
  id = "ailsa"
  title = "Ailsa Grant"

  [[contests.options]]
  id = "duncan"
  title = "Duncan Reid"

[[contests]]
id = "playpark"
title = "Community budget: £100,000 for local projects"
kind = "budget"
budget = 100000

  [[contests.options]]
  id = "playpark"
  title = "New playpark"
  cost = 60000

  [[contests.options]]
  id = "library"
  title = "Library hours"
  cost = 25000

  [[contests.options]]
  id = "bridge"
  title = "Footbridge repair"
  cost = 40000

# A referendum is a choice of one of two.
[[contests]]
id = "hall"
title = "Should the council take over the running of the village hall?"
kind = "choose"
min = 1
max = 1

  [[contests.options]]
  id = "yes"
  title = "Yes"

  [[contests.options]]
  id = "no"
  title = "No"

# A council ward by the single transferable vote under the Scottish rules: voters rank up to four
# candidates; after the close the trustees mix the ballots and the count is published stage by
# stage. With a ranked contest every credential has weight 1.
[[contests]]
id = "ward"
title = "Elect two councillors for Ward 3 (rank the candidates in order of preference)"
kind = "ranked"
ranks = 4
seats = 2
method = "scottish-stv"

  [[contests.options]]
  id = "fraser"
  title = "Morag Fraser"

  [[contests.options]]
  id = "macleod"
  title = "Euan MacLeod"

  [[contests.options]]
  id = "stewart"
  title = "Isla Stewart"

  [[contests.options]]
  id = "campbell"
  title = "Fergus Campbell"

  [[contests.options]]
  id = "wallace"
  title = "Kirsty Wallace"
"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestToml {
    election_id: Spanned<String>,
    title: Spanned<String>,
    opens_at: Spanned<Time>,
    closes_at: Spanned<Time>,
    threshold: Spanned<i64>,
    administrator: KeyToml,
    credential_authority: KeyToml,
    board: BoardToml,
    trustees: Spanned<Vec<Spanned<TrusteeToml>>>,
    contests: Spanned<Vec<Spanned<ContestToml>>>,
    witnesses: Option<Spanned<Vec<Spanned<WitnessToml>>>>,
    witness_quorum: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Time {
    Datetime(toml::value::Datetime),
    Unix(i64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyToml {
    key: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardToml {
    origin: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessToml {
    name: Spanned<String>,
    key: Spanned<String>,
    url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrusteeToml {
    name: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContestToml {
    id: Spanned<String>,
    title: Spanned<String>,
    kind: Spanned<String>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    max_score: Option<Spanned<i64>>,
    points: Option<Spanned<i64>>,
    budget: Option<Spanned<i64>>,
    ranks: Option<Spanned<i64>>,
    seats: Option<Spanned<i64>>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    options: Vec<Spanned<OptionToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionToml {
    id: Spanned<String>,
    title: Spanned<String>,
    cost: Option<Spanned<i64>>,
}

struct Lines<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Lines<'_> {
    fn line_of(&self, span: &Range<usize>) -> usize {
        let at = span.start.min(self.text.len());
        self.text[..at].bytes().filter(|&b| b == b'\n').count() + 1
    }

    fn report(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let line = self.line_of(span);
        self.problems.push(Problem {
            line,
            message: message.into(),
        });
    }

    fn key(&mut self, what: &str, v: &Spanned<String>) -> Option<PublicKey> {
        let bytes: Option<[u8; 32]> = hex::decode(v.get_ref().trim())
            .ok()
            .and_then(|b| b.try_into().ok());
        let Some(bytes) = bytes else {
            self.report(
                &v.span(),
                format!("{what}: expected a public key of 64 hex digits"),
            );
            return None;
        };
        match PublicKey::from_bytes(bytes, "key") {
            Ok(k) => Some(k),
            Err(_) => {
                self.report(
                    &v.span(),
                    format!("{what}: not a valid Ed25519 public key (weak or not on the curve)"),
                );
                None
            }
        }
    }

    fn count(&mut self, what: &str, v: &Spanned<i64>, max: u64) -> Option<u64> {
        let n = *v.get_ref();
        if n < 0 || n as u64 > max {
            self.report(&v.span(), format!("{what} must be between 0 and {max}"));
            return None;
        }
        Some(n as u64)
    }

    fn time(&mut self, what: &str, v: &Spanned<Time>) -> Option<u64> {
        let t = match v.get_ref() {
            Time::Unix(n) if *n >= 0 => Some(*n as u64),
            Time::Unix(_) => None,
            Time::Datetime(d) => unix_seconds(d),
        };
        if t.is_none() {
            self.report(
                &v.span(),
                format!("{what}: give a UTC date and time such as 2027-05-06T07:00:00Z"),
            );
        }
        t
    }
}

/// Seconds since 1970 of a TOML offset date-time (days from the civil calendar, H. Hinnant).
fn unix_seconds(d: &toml::value::Datetime) -> Option<u64> {
    let (date, time, offset) = (d.date?, d.time?, d.offset?);
    let (y, m, day) = (date.year as i64, date.month as i64, date.day as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let offset_minutes = match offset {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => minutes as i64,
    };
    let secs =
        days * 86_400 + time.hour as i64 * 3600 + time.minute as i64 * 60 + time.second as i64
            - offset_minutes * 60;
    u64::try_from(secs).ok()
}

/// Reads a manifest file's text; every problem found, each with its line, if it is not valid.
pub fn parse(text: &str) -> Result<Manifest> {
    let doc: ManifestToml = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        let message = if e.message().contains("untagged enum Time") {
            "a time must be a UTC date and time such as 2027-05-06T07:00:00Z".to_owned()
        } else {
            e.message().to_owned()
        };
        Error::Manifest(vec![Problem { line, message }])
    })?;
    let mut l = Lines {
        text,
        problems: Vec::new(),
    };
    let administrator = l.key("administrator key", &doc.administrator.key);
    let credential_authority = l.key("credential authority key", &doc.credential_authority.key);
    let board_key = l.key("board key", &doc.board.key);
    let opens_at = l.time("opens_at", &doc.opens_at);
    let closes_at = l.time("closes_at", &doc.closes_at);
    let threshold = l.count("threshold", &doc.threshold, u32::MAX as u64);
    let trustees: Vec<Option<TrusteeInfo>> = doc
        .trustees
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let t = t.get_ref();
            Some(TrusteeInfo {
                name: t.name.get_ref().clone(),
                key: l.key(&format!("trustee {}", i + 1), &t.key)?,
            })
        })
        .collect();
    let witnesses: Vec<Option<WitnessInfo>> = doc
        .witnesses
        .iter()
        .flat_map(|w| w.get_ref())
        .enumerate()
        .map(|(i, w)| {
            let w = w.get_ref();
            Some(WitnessInfo {
                name: w.name.get_ref().clone(),
                key: l.key(&format!("witness {}", i + 1), &w.key)?,
                url: w.url.get_ref().clone(),
            })
        })
        .collect();
    let witness_quorum = match &doc.witness_quorum {
        Some(k) => l.count("witness_quorum", k, u32::MAX as u64),
        None => Some(0),
    };
    let contests: Vec<Option<Contest>> = doc
        .contests
        .get_ref()
        .iter()
        .map(|c| contest(&mut l, c))
        .collect();
    if !l.problems.is_empty() {
        return Err(Error::Manifest(l.problems));
    }
    let manifest = Manifest {
        election_id: doc.election_id.get_ref().clone(),
        title: doc.title.get_ref().clone(),
        opens_at: got(opens_at),
        closes_at: got(closes_at),
        administrator: got(administrator),
        credential_authority: got(credential_authority),
        board: BoardInfo {
            origin: doc.board.origin.get_ref().clone(),
            key: got(board_key),
        },
        trustees: trustees.into_iter().map(got).collect(),
        threshold: got(threshold) as u32,
        contests: contests.into_iter().map(got).collect(),
        witnesses: witnesses.into_iter().map(got).collect(),
        witness_quorum: got(witness_quorum) as u32,
    };
    for (field, message) in manifest.located_problems() {
        let span = span_of(&doc, field);
        l.report(&span, message);
    }
    if l.problems.is_empty() {
        Ok(manifest)
    } else {
        l.problems.sort_by_key(|p| p.line);
        Err(Error::Manifest(l.problems))
    }
}

fn got<T>(o: Option<T>) -> T {
    o.expect("no problems were reported, so every field was read")
}

fn contest(l: &mut Lines<'_>, c: &Spanned<ContestToml>) -> Option<Contest> {
    let span = c.span();
    let c = c.get_ref();
    let mut need = |name: &str, v: &Option<Spanned<i64>>, max: u64| -> Option<u64> {
        match v {
            Some(v) => l.count(name, v, max),
            None => {
                l.report(
                    &c.kind.span(),
                    format!(
                        "contest {:?}: kind {:?} needs `{name}`",
                        c.id.get_ref(),
                        c.kind.get_ref()
                    ),
                );
                None
            }
        }
    };
    let kind = match c.kind.get_ref().as_str() {
        "choose" => ContestKind::Choose {
            min: need("min", &c.min, u32::MAX as u64)? as u32,
            max: need("max", &c.max, u32::MAX as u64)? as u32,
        },
        "approval" => ContestKind::Approval,
        "score" => ContestKind::Score {
            max_score: need("max_score", &c.max_score, u64::MAX >> 1)?,
        },
        "cumulative" => ContestKind::Cumulative {
            points: need("points", &c.points, u64::MAX >> 1)?,
        },
        "budget" => {
            let budget = need("budget", &c.budget, u64::MAX >> 1)?;
            let mut costs = Vec::new();
            for o in &c.options {
                match &o.get_ref().cost {
                    Some(cost) => costs.push(l.count("cost", cost, u64::MAX >> 1)?),
                    None => {
                        l.report(&o.span(), "every option of a budget contest needs a `cost`");
                        return None;
                    }
                }
            }
            ContestKind::Budget { budget, costs }
        }
        "ranked" => {
            let ranks = need("ranks", &c.ranks, u32::MAX as u64)? as u32;
            let seats = need("seats", &c.seats, u32::MAX as u64)? as u32;
            let method = match c.method.as_ref().map(|m| (m, m.get_ref().as_str())) {
                Some((_, "scottish-stv")) => RankedMethod::ScottishStv,
                Some((_, "av")) => RankedMethod::AlternativeVote,
                Some((m, other)) => {
                    l.report(
                        &m.span(),
                        format!("unknown method {other:?}; use scottish-stv or av"),
                    );
                    return None;
                }
                None => {
                    l.report(
                        &c.kind.span(),
                        format!(
                            "contest {:?}: kind \"ranked\" needs `method` (scottish-stv or av)",
                            c.id.get_ref()
                        ),
                    );
                    return None;
                }
            };
            ContestKind::Ranked {
                ranks,
                seats,
                method,
            }
        }
        other => {
            l.report(
                &c.kind.span(),
                format!(
                    "unknown kind {other:?}; use choose, approval, score, cumulative, budget or ranked"
                ),
            );
            return None;
        }
    };
    if !matches!(kind, ContestKind::Budget { .. }) {
        if let Some(o) = c.options.iter().find(|o| o.get_ref().cost.is_some()) {
            l.report(&o.span(), "only options of a budget contest have a `cost`");
        }
    }
    let _ = span;
    Some(Contest {
        id: c.id.get_ref().clone(),
        title: c.title.get_ref().clone(),
        kind,
        options: c
            .options
            .iter()
            .map(|o| ContestOption {
                id: o.get_ref().id.get_ref().clone(),
                title: o.get_ref().title.get_ref().clone(),
            })
            .collect(),
    })
}

fn span_of(doc: &ManifestToml, field: Field) -> Range<usize> {
    let contest = |i: usize| doc.contests.get_ref().get(i);
    match field {
        Field::ElectionId => doc.election_id.span(),
        Field::Title => doc.title.span(),
        Field::Window => doc.closes_at.span(),
        Field::BoardOrigin => doc.board.origin.span(),
        Field::Trustees => doc.trustees.span(),
        Field::Threshold => doc.threshold.span(),
        Field::Trustee(i) => doc
            .trustees
            .get_ref()
            .get(i)
            .map_or(doc.trustees.span(), |t| t.get_ref().name.span()),
        Field::Roles => doc.trustees.span(),
        Field::Witnesses => doc
            .witness_quorum
            .as_ref()
            .map(|k| k.span())
            .or(doc.witnesses.as_ref().map(|w| w.span()))
            .unwrap_or(0..0),
        Field::Witness(i) => doc.witnesses.as_ref().map_or(0..0, |ws| {
            ws.get_ref()
                .get(i)
                .map_or(ws.span(), |w| w.get_ref().name.span())
        }),
        Field::Contests => doc.contests.span(),
        Field::Contest(i) => contest(i).map_or(doc.contests.span(), |c| c.get_ref().id.span()),
        Field::ContestKind(i) => contest(i).map_or(doc.contests.span(), |c| {
            let c = c.get_ref();
            [&c.min, &c.max, &c.budget, &c.max_score, &c.points]
                .into_iter()
                .flatten()
                .map(|v| v.span())
                .max_by_key(|s| s.start)
                .unwrap_or(c.kind.span())
        }),
        Field::Option(i, j) => contest(i)
            .and_then(|c| c.get_ref().options.get(j))
            .map_or(doc.contests.span(), |o| o.get_ref().id.span()),
        _ => 0..0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(template: &str) -> String {
        let keys = [
            "administrator public key",
            "credential authority public key",
            "board public key",
            "trustee 1 public key",
            "trustee 2 public key",
            "trustee 3 public key",
            "witness 1 public key",
            "witness 2 public key",
            "witness 3 public key",
        ];
        let mut text = template.to_owned();
        for (i, k) in keys.iter().enumerate() {
            let key = protocol::signature::SecretKey::from_seed(&[i as u8 + 1; 32]).public_key();
            text = text.replace(&format!("REPLACE: {k}"), &hex::encode(key.as_bytes()));
        }
        text
    }

    fn problems(text: &str) -> Vec<Problem> {
        match parse(text) {
            Err(Error::Manifest(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn the_example_is_valid_once_its_keys_are_filled_in() {
        let m = parse(&filled(EXAMPLE)).unwrap();
        assert_eq!(m.trustees.len(), 3);
        assert_eq!((m.witnesses.len(), m.witness_quorum), (3, 2));
        assert_eq!(m.opens_at, 1_809_586_800); // python: datetime(2027, 5, 6, 7, tzinfo=utc).timestamp()
        assert_eq!(m.closes_at - m.opens_at, 15 * 3600);
        assert!(matches!(
            m.contests[1].kind,
            ContestKind::Budget {
                budget: 100_000,
                ..
            }
        ));
        // A ranked contest reads as one.
        let ranked = filled(EXAMPLE).replacen(
            "kind = \"choose\"\nmin = 1\nmax = 1",
            "kind = \"ranked\"\nranks = 2\nseats = 1\nmethod = \"scottish-stv\"",
            1,
        );
        assert_eq!(
            parse(&ranked).unwrap().contests[0].kind,
            ContestKind::Ranked {
                ranks: 2,
                seats: 1,
                method: RankedMethod::ScottishStv
            }
        );
        // The unfilled template names every placeholder with its line.
        let p = problems(EXAMPLE);
        assert_eq!(p.len(), 9, "{p:?}");
        assert!(p.iter().all(|p| p.message.contains("64 hex digits")));
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text[..text.find(needle).unwrap()].matches('\n').count() + 1
    }

    #[test]
    fn each_kind_of_error_is_reported_at_its_line() {
        let good = filled(EXAMPLE);
        let cases: Vec<(String, &str, &str)> = vec![
            (good.replace("min = 1\nmax = 1", "min = 2\nmax = 1"), "max = 1\n\n  [[contests.options]]\n  id = \"ailsa\"", "min 2 is greater than max 1"),
            (good.replace("budget = 100000", "budget = 100"), "budget = 100", "below the cheapest option"),
            (good.replace("closes_at = 2027-05-06T22:00:00Z", "closes_at = 2027-05-06T06:00:00Z"), "closes_at = ", "closes_at must be after opens_at"),
            (good.replace("id = \"playpark\"\ntitle = \"Community", "id = \"convener\"\ntitle = \"Community"), "id = \"convener\"\ntitle = \"Community", "duplicate contest id"),
            (good.replace("threshold = 2", "threshold = 4"), "threshold = 4", "1 ≤ t ≤ n = 3"),
            (good.replace("threshold = 2", "threshold = 0"), "threshold = 0", "1 ≤ t ≤ n = 3"),
            (good.replace("witness_quorum = 2", "witness_quorum = 4"), "witness_quorum = 4", "1 ≤ k ≤ 3 witnesses"),
            (good.replace("url = \"https://witness.civic", "url = \"ftp://witness.civic"), "name = \"witness.civic", "must be an http:// or https:// address"),
            (good.replace("kind = \"choose\"", "kind = \"borda\""), "kind = \"borda\"", "unknown kind"),
            (good.replace("kind = \"choose\"\nmin = 1\nmax = 1", "kind = \"ranked\"\nranks = 2\nseats = 1\nmethod = \"meek\""), "method = \"meek\"", "use scottish-stv or av"),
            (good.replace("kind = \"choose\"\nmin = 1\nmax = 1", "kind = \"ranked\"\nranks = 2\nseats = 2\nmethod = \"av\""), "kind = \"ranked\"", "the alternative vote fills one seat"),
            (good.replace("  [[contests.options]]\n  id = \"ailsa\"\n  title = \"Ailsa Grant\"\n\n  [[contests.options]]\n  id = \"duncan\"\n  title = \"Duncan Reid\"\n", ""), "id = \"convener\"", "must have 1 to 256 options"),
            (good.replace("opens_at = 2027-05-06T07:00:00Z", "opens_at = \"soon\""), "opens_at = ", "such as 2027-05-06T07:00:00Z"),
            (good.replace("title = \"Glenbervie", "titel = \"Glenbervie"), "titel", "unknown field"),
        ];
        for (text, at, message) in cases {
            let p = problems(&text);
            assert!(
                p.iter()
                    .any(|p| p.line == line_of(&text, at) && p.message.contains(message)),
                "expected {message:?} at line {} ({at}), got {p:?}",
                line_of(&text, at)
            );
        }
        // Every problem at once, not just the first.
        let many = good
            .replace("threshold = 2", "threshold = 9")
            .replace("budget = 100000", "budget = 1");
        assert!(problems(&many).len() >= 2);
    }
}
