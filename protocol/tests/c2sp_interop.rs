//! Interoperability with another implementation of C2SP tlog-cosignature/v1 (spec §13.9): real
//! checkpoints cosigned by transparency-dev's Armored Witness devices (Go) verify with Thistle's
//! reader, key ids and verifier keys come out as theirs, and a changed body or time fails.
//! Data: `tests/data/c2sp/` (see its README for the sources).
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::manifest::WitnessInfo;
use protocol::signature::PublicKey;
use protocol::witness::{cosignature_key_id, parse_verifier_key, read_cosignature, verifier_key};

struct Witness {
    /// The key as the witness publishes it (an Ed25519 note key, type 0x01).
    published: &'static str,
    /// The same key as a cosignature/v1 verifier key (type 0x04, its key id).
    cosigning: &'static str,
    /// When it cosigned the note (Unix seconds).
    time: u64,
}

fn note(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/c2sp")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The body (up to the blank line, with its final newline) and the signature lines.
fn split(note: &str) -> (&str, Vec<&str>) {
    let at = note.find("\n\n").expect("a blank line ends the body");
    (&note[..at + 1], note[at + 2..].lines().collect())
}

fn check(file: &str, witnesses: &[Witness]) {
    let text = note(file);
    let (body, lines) = split(&text);
    assert_eq!(
        body.lines().count(),
        3,
        "a checkpoint body: origin, size, root"
    );
    for w in witnesses {
        // The published 0x01 key and the 0x04 verifier key hold the same Ed25519 key.
        let (name, rest) = w.published.split_once('+').unwrap();
        let typed = B64.decode(rest.split_once('+').unwrap().1).unwrap();
        assert_eq!(typed[0], 0x01);
        let key = PublicKey::from_bytes(typed[1..].try_into().unwrap(), "witness").unwrap();
        // Either form reads as the same key (base64 may hold '+': only two fields are split).
        for form in [w.cosigning, w.published] {
            let (parsed_name, parsed_key) = parse_verifier_key(form).unwrap();
            assert_eq!((parsed_name.as_str(), &parsed_key), (name, &key));
        }
        // A key id that does not match is refused.
        let wrong =
            w.cosigning
                .replacen(&w.cosigning[name.len() + 1..name.len() + 9], "00000000", 1);
        assert!(parse_verifier_key(&wrong).is_err());
        assert_eq!(verifier_key(name, &key), w.cosigning);
        let id = hex::encode(cosignature_key_id(name, &key));
        assert!(w.cosigning.contains(&format!("+{id}+")));
        let witness = WitnessInfo {
            name: name.into(),
            key,
            url: String::new(),
        };
        // Exactly one line is this witness's, and it verifies at its time.
        let read: Vec<_> = lines
            .iter()
            .filter_map(|l| read_cosignature(&witness, body, l))
            .collect();
        assert_eq!(read.len(), 1, "{name} in {file}");
        assert_eq!(read[0].clone().unwrap(), w.time, "{name} in {file}");
        // Over another body (one more leaf), or with its time changed, it fails.
        let other = body.replacen(
            body.lines().nth(1).unwrap(),
            &(body.lines().nth(1).unwrap().parse::<u64>().unwrap() + 1).to_string(),
            1,
        );
        let line = lines
            .iter()
            .find(|l| read_cosignature(&witness, body, l).is_some())
            .unwrap();
        assert!(read_cosignature(&witness, &other, line).unwrap().is_err());
        let (prefix, b64) = line.rsplit_once(' ').unwrap();
        let mut blob = B64.decode(b64).unwrap();
        blob[11] ^= 1;
        let retimed = format!("{prefix} {}", B64.encode(&blob));
        assert!(read_cosignature(&witness, body, &retimed).unwrap().is_err());
    }
}

#[test]
fn armored_witness_cosignatures_of_the_firmware_log_verify() {
    check(
        "ci3.note",
        &[
            Witness {
                published: "ArmoredWitness-weathered-rain+ea3d386d+AWLblKp5JuiyrgRh6ev2nNJ5XAd+sc/mM2D2HW/b4d5S",
                cosigning: "ArmoredWitness-weathered-rain+0a78df20+BGLblKp5JuiyrgRh6ev2nNJ5XAd+sc/mM2D2HW/b4d5S",
                time: 1_729_698_503,
            },
            Witness {
                published: "ArmoredWitness-floral-sky+504ec40f+AekCmTmKTTnQMNqIigkj7PFnhogawSJD23PJ8M8qLYDm",
                cosigning: "ArmoredWitness-floral-sky+c7cf0b6d+BOkCmTmKTTnQMNqIigkj7PFnhogawSJD23PJ8M8qLYDm",
                time: 1_729_698_499,
            },
        ],
    );
}

#[test]
fn armored_witness_cosignatures_of_the_pixel_log_verify() {
    check(
        "pixel.note",
        &[
            Witness {
                published: "ArmoredWitness-small-breeze+7b3ada3a+AQAWYpUjfGGPQiWOgt6sLWap0P9rVOe+Ofu2uNZbO4FD",
                cosigning: "ArmoredWitness-small-breeze+9d1ab951+BAAWYpUjfGGPQiWOgt6sLWap0P9rVOe+Ofu2uNZbO4FD",
                time: 1_738_713_836,
            },
            Witness {
                published: "ArmoredWitness-autumn-wood+863571a5+AesIVCbad7gbU07JnA6YfZD0qg4B1c8xF4ISdnt9vjip",
                cosigning: "ArmoredWitness-autumn-wood+a996f95d+BOsIVCbad7gbU07JnA6YfZD0qg4B1c8xF4ISdnt9vjip",
                time: 1_738_713_829,
            },
        ],
    );
}
