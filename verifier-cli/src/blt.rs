//! The BLT format of ranked ballots (as written by OpenSTV, Droop and eSTV, and used for published
//! Scottish council preference data), read into a [`protocol::stv::Profile`]:
//!
//! ```text
//! 4 2            candidates and seats
//! -3             optional: withdrawn candidates, negative
//! 12 1 2 4 0     a weight, then candidate numbers (1-based) in order of preference, then 0
//! (b7) 1 3 0     optionally with a ballot id in parentheses first
//! 0              end of ballots
//! "Name 1"       one name per candidate
//! "Ward title"   the title
//! ```
//!
//! Equal rankings (`=`) have no meaning under the Scottish rules and are refused; so is anything
//! not in the format, with the line it is on.
use protocol::stv::{Profile, Ranking};

/// A BLT file's contest.
#[derive(Debug, Clone)]
pub struct Blt {
    /// The preference profile (candidates, seats, ballots, withdrawn candidates).
    pub profile: Profile,
    /// Candidate names, in number order.
    pub names: Vec<String>,
    /// The title.
    pub title: String,
}

/// Why a BLT file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BltError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for BltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for BltError {}

/// Reads a BLT file's text.
pub fn parse(text: &str) -> Result<Blt, BltError> {
    // Tokens with their line numbers; `#` starts a comment outside quotes.
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, strip_comment(l).trim()))
        .filter(|(_, l)| !l.is_empty())
        .peekable();
    let fail = |line: usize, message: &str| BltError {
        line,
        message: message.to_owned(),
    };
    let (first, header) = lines.next().ok_or_else(|| fail(1, "the file is empty"))?;
    let numbers: Vec<&str> = header.split_whitespace().collect();
    let [candidates, seats] = numbers[..] else {
        return Err(fail(first, "the first line must be `<candidates> <seats>`"));
    };
    let candidates: usize = number(candidates, first, "the number of candidates")?;
    let seats: usize = number(seats, first, "the number of seats")?;
    let most = protocol::stv::MAX_CANDIDATES;
    if candidates == 0 || candidates > most {
        return Err(fail(
            first,
            &format!("the number of candidates must be 1 to {most}"),
        ));
    }
    if seats == 0 || seats > most {
        return Err(fail(
            first,
            &format!("the number of seats must be 1 to {most}"),
        ));
    }
    let mut withdrawn = Vec::new();
    while let Some((line, text)) = lines.peek().copied() {
        if !text.starts_with('-') {
            break;
        }
        lines.next();
        for token in text.split_whitespace() {
            let c: usize = token
                .strip_prefix('-')
                .ok_or_else(|| {
                    fail(
                        line,
                        "a withdrawn candidate is written as a negative number",
                    )
                })
                .and_then(|n| number(n, line, "a withdrawn candidate"))?;
            withdrawn.push(candidate_index(c, candidates, line)?);
        }
    }
    let mut ballots = Vec::new();
    loop {
        let (line, text) = lines
            .next()
            .ok_or_else(|| fail(first, "the ballots never end (a line `0` must follow them)"))?;
        let mut tokens = text.split_whitespace().peekable();
        if tokens.peek().is_some_and(|t| t.starts_with('(')) {
            let id = tokens.next().expect("peeked");
            if !id.ends_with(')') {
                return Err(fail(line, "a ballot id must be one word in parentheses"));
            }
        }
        let weight: u64 = number(
            tokens
                .next()
                .ok_or_else(|| fail(line, "a ballot line needs a weight"))?,
            line,
            "a ballot's weight",
        )?;
        if weight == 0 {
            if tokens.next().is_some() {
                return Err(fail(line, "the line ending the ballots is `0` alone"));
            }
            break;
        }
        let mut ranking = Vec::new();
        let mut ended = false;
        for token in tokens {
            if ended {
                return Err(fail(line, "nothing may follow the 0 that ends a ballot"));
            }
            if token.contains('=') {
                return Err(fail(
                    line,
                    "equal rankings (`=`) have no meaning under the Scottish rules",
                ));
            }
            let c: usize = number(token, line, "a preference")?;
            if c == 0 {
                ended = true;
                continue;
            }
            ranking.push(candidate_index(c, candidates, line)? as u16);
        }
        if !ended {
            return Err(fail(line, "a ballot line must end with 0"));
        }
        ballots.push(Ranking { weight, ranking });
    }
    let mut strings = Vec::new();
    for (line, text) in lines {
        strings.push(quoted(text, line)?);
    }
    if strings.len() != candidates + 1 {
        return Err(fail(
            text.lines().count(),
            &format!(
                "after the ballots come {candidates} candidate names and a title, each in quotes; found {} quoted lines",
                strings.len()
            ),
        ));
    }
    let title = strings.pop().expect("candidates + 1 > 0");
    let profile = Profile::new(candidates, seats, ballots, withdrawn)
        .map_err(|e| fail(first, &e.to_string()))?;
    Ok(Blt {
        profile,
        names: strings,
        title,
    })
}

fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn number<T: std::str::FromStr>(token: &str, line: usize, what: &str) -> Result<T, BltError> {
    token.parse().map_err(|_| BltError {
        line,
        message: format!("{what} must be a whole number, not {token:?}"),
    })
}

fn candidate_index(c: usize, candidates: usize, line: usize) -> Result<usize, BltError> {
    if c == 0 || c > candidates {
        return Err(BltError {
            line,
            message: format!("candidate {c} is not one of 1 to {candidates}"),
        });
    }
    Ok(c - 1)
}

fn quoted(text: &str, line: usize) -> Result<String, BltError> {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.contains('"'))
        .map(str::to_owned)
        .ok_or_else(|| BltError {
            line,
            message: format!("expected a name in double quotes, found {text:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "3 1\n-2\n4 1 3 0\n(x1) 2 3 0\n1 2 0 # a comment\n0\n\"Ann\"\n\"Bob\"\n\"Cat #1\"\n\"Ward 9\"\n";

    #[test]
    fn reads_every_part_of_a_file() {
        let b = parse(SMALL).unwrap();
        assert_eq!(b.names, ["Ann", "Bob", "Cat #1"]);
        assert_eq!(b.title, "Ward 9");
        assert_eq!(b.profile.seats(), 1);
        assert_eq!(b.profile.withdrawn(), [1]);
        let ballots: Vec<_> = b
            .profile
            .ballots()
            .iter()
            .map(|r| (r.weight, r.ranking.clone()))
            .collect();
        assert_eq!(ballots, [(4, vec![0, 2]), (2, vec![2]), (1, vec![1])]);
    }

    #[test]
    fn refuses_what_is_not_blt_and_says_where() {
        for (text, line, says) in [
            ("", 1, "empty"),
            ("3\n", 1, "<candidates> <seats>"),
            ("3 18446744073709551615\n", 1, "seats must be 1 to 1000"),
            ("3 99999999999999999999\n", 1, "whole number"),
            ("2 1\n1 1 2\n0\n\"a\"\n\"b\"\n\"t\"\n", 2, "must end with 0"),
            (
                "2 1\n1 1 3 0\n0\n\"a\"\n\"b\"\n\"t\"\n",
                2,
                "not one of 1 to 2",
            ),
            (
                "2 1\n1 1=2 0\n0\n\"a\"\n\"b\"\n\"t\"\n",
                2,
                "equal rankings",
            ),
            (
                "2 1\n1 1 0 2\n0\n\"a\"\n\"b\"\n\"t\"\n",
                2,
                "nothing may follow",
            ),
            ("2 1\n1 1 0\n0\n\"a\"\n\"t\"\n", 5, "found 2 quoted"),
            ("2 1\n1 1 0\n0\na\n\"b\"\n\"t\"\n", 4, "double quotes"),
            ("2 1\n1 1 0\n", 1, "never end"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
        }
    }
}
