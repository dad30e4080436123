//! `thistle-verify count` on real published preference data: Glasgow, Calton ward, 2007 (see
//! tests/data/README.md). The elected are the official result; every stage's figures are those
//! Droop (validated against ERS's eSTV) prints for the same file under the Scottish rules.
use std::path::Path;
use std::process::Command;

use protocol::stv::{count, units, Action, Method};

const CALTON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/calton-2007.blt");

/// Stage by stage: the action and each candidate's total (Barton, Duke-Wardrop, Fullerton,
/// Gillespie, Graham, Houston, Murray, Redmond, Simpson, Thewliss), non-transferable, fractions.
#[rustfmt::skip]
const STAGES: [(&str, [&str; 10], &str, &str); 10] = [
    ("first", ["128.00000", "219.00000", "302.00000", "245.00000", "231.00000", "195.00000", "126.00000", "1982.00000", "628.00000", "1143.00000"], "0.00000", "0.00000"),
    ("surplus George Redmond 682.00000", ["130.40863", "224.84953", "325.39812", "250.84953", "245.79587", "217.36585", "134.94634", "1300.00000", "1035.05847", "1175.68855"], "158.62549", "0.01362"),
    ("exclude Gary Barton", ["0.00000", "235.19362", "349.74221", "257.84953", "252.79587", "220.36585", "140.29043", "1300.00000", "1050.74665", "1196.68855"], "195.31367", "0.01362"),
    ("exclude Kenny Murray", ["0.00000", "251.22589", "373.77448", "260.53771", "257.82814", "225.70994", "0.00000", "1300.00000", "1072.12301", "1221.72082"], "236.06639", "0.01362"),
    ("exclude Danny Houston", ["0.00000", "264.91407", "382.49493", "348.69906", "265.20450", "0.00000", "0.00000", "1300.00000", "1086.94027", "1231.40900"], "319.32455", "0.01362"),
    ("exclude Alasdair Duke - Wardrop", ["0.00000", "0.00000", "420.83902", "371.04315", "329.26904", "0.00000", "0.00000", "1300.00000", "1115.34890", "1282.75309"], "379.73318", "0.01362"),
    ("exclude Paul Graham", ["0.00000", "0.00000", "446.24765", "409.10769", "0.00000", "0.00000", "0.00000", "1300.00000", "1189.88661", "1360.12945"], "493.61498", "0.01362"),
    ("surplus Alison E Thewliss 60.12945", ["0.00000", "0.00000", "461.35742", "412.58571", "0.00000", "0.00000", "0.00000", "1300.00000", "1199.81406", "1300.00000"], "525.21759", "0.02522"),
    ("exclude Scott Gillespie", ["0.00000", "0.00000", "485.84120", "0.00000", "0.00000", "0.00000", "0.00000", "1300.00000", "1271.90931", "1300.00000"], "841.22427", "0.02522"),
    ("exclude Fiacra Fullerton", ["0.00000", "0.00000", "0.00000", "0.00000", "0.00000", "0.00000", "0.00000", "1300.00000", "1393.86735", "1300.00000"], "1205.10743", "0.02522"),
];

#[test]
fn calton_2007_is_counted_as_the_returning_officer_did_stage_by_stage() {
    let text = std::fs::read_to_string(CALTON).unwrap();
    let blt = verifier_cli::blt::parse(&text).unwrap();
    assert_eq!(blt.title, "CALTON");
    let sheet = count(&blt.profile, Method::ScottishStv, &[0; 32]);
    assert_eq!(sheet.valid, 5199);
    assert_eq!(sheet.quota.map(units).as_deref(), Some("1300.00000"));
    assert_eq!(sheet.stages.len(), STAGES.len());
    for (i, (stage, (what, votes, non_transferable, fractions))) in
        sheet.stages.iter().zip(STAGES).enumerate()
    {
        let action = match &stage.action {
            Action::FirstPreferences => "first".to_owned(),
            Action::Surplus { from, surplus } => format!(
                "surplus {} {}",
                blt.names[usize::from(*from)],
                units(*surplus)
            ),
            Action::Exclusion { of } => format!("exclude {}", blt.names[usize::from(*of)]),
        };
        assert_eq!(action, what, "stage {}", i + 1);
        let got: Vec<String> = stage.votes.iter().map(|&v| units(v)).collect();
        assert_eq!(got, votes, "stage {} ({what})", i + 1);
        assert_eq!(
            units(stage.non_transferable),
            non_transferable,
            "stage {}",
            i + 1
        );
        assert_eq!(units(stage.fractions), fractions, "stage {}", i + 1);
        assert!(stage.lot.is_none());
    }
    let elected: Vec<&str> = sheet
        .elected
        .iter()
        .map(|&c| blt.names[usize::from(c)].as_str())
        .collect();
    assert_eq!(
        elected,
        ["George Redmond", "Alison E Thewliss", "Ruth Simpson"]
    );
}

fn thistle_verify() -> Command {
    Command::new(env!("CARGO_BIN_EXE_thistle-verify"))
}

#[test]
fn the_count_command_prints_the_sheet_as_text_and_json() {
    let out = thistle_verify()
        .args(["count", "--method", "scottish-stv", "--blt", CALTON])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Valid papers: 5199; quota 1300"), "{text}");
    assert!(
        text.contains("Stage 8: surplus of Alison E Thewliss (60.12945) transferred"),
        "{text}"
    );
    assert!(
        text.contains("Elected: George Redmond, Alison E Thewliss, Ruth Simpson"),
        "{text}"
    );

    let out = thistle_verify()
        .args(["count", "--blt", CALTON, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "scottish-stv");
    assert_eq!(v["quota"], 1300);
    assert_eq!(v["stages"].as_array().unwrap().len(), 10);
    assert_eq!(v["stages"][9]["votes"][8], "1393.86735");
    assert_eq!(v["stages"][9]["elected"][0], "Ruth Simpson");
    assert_eq!(
        v["elected"],
        serde_json::json!(["George Redmond", "Alison E Thewliss", "Ruth Simpson"])
    );

    // The alternative vote on the same papers: one seat.
    let out = thistle_verify()
        .args(["count", "--method", "av", "--blt", CALTON, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["elected"], serde_json::json!(["George Redmond"]));
}

#[test]
fn a_file_that_is_not_blt_is_refused_with_its_line_and_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("thistle-count-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.blt");
    std::fs::write(&bad, "3 1\n1 1 4 0\n0\n\"a\"\n\"b\"\n\"c\"\n\"t\"\n").unwrap();
    let out = thistle_verify()
        .args(["count", "--blt"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: candidate 4 is not one of 1 to 3"),
        "{err}"
    );
    let missing = thistle_verify()
        .args(["count", "--blt"])
        .arg(Path::new(&dir).join("missing.blt"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
}
