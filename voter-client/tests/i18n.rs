//! Both languages say something, and something different, for every message.
use voter_client::ballot::{Progress, Refusal};
use voter_client::i18n::{progress, refusal, text, Lang, Text};

#[test]
fn every_message_is_translated() {
    use Text::*;
    let all = [
        Language,
        Election,
        Opens,
        Closes,
        Fingerprint,
        FingerprintHelp,
        Credential,
        CredentialHelp,
        CredentialMalformed,
        CredentialUnknown,
        Continue,
        Back,
        Review,
        Encrypt,
        Encrypting,
        Sending,
        TrackingCode,
        TrackingCodeHelp,
        Cast,
        Audit,
        AuditHelp,
        OnTheBoard,
        DownloadReceipt,
        Included { size: 12 },
        AuditDone,
        AuditElsewhere,
        StartAgain,
        Incomplete,
        PageHash,
        CheckCode,
        Board,
        Results,
        BoardError,
        Stage(protocol::record::Phase::Setup),
        Stage(protocol::record::Phase::KeyCeremony),
        Stage(protocol::record::Phase::VotingOpen),
        Stage(protocol::record::Phase::VotingClosed),
        Stage(protocol::record::Phase::Tally),
        Stage(protocol::record::Phase::ResultsPublished),
    ];
    for t in all {
        let (en, gd) = (text(Lang::En, t), text(Lang::Gd, t));
        assert!(!en.is_empty() && !gd.is_empty(), "{t:?}");
        assert_ne!(en, gd, "{t:?} is not translated");
    }
    assert!(text(Lang::Gd, Included { size: 12 }).contains("12"));
    let progresses = [
        Progress::Choose {
            chosen: 0,
            min: 1,
            max: 2,
        },
        Progress::Choose {
            chosen: 1,
            min: 1,
            max: 2,
        },
        Progress::Choose {
            chosen: 2,
            min: 1,
            max: 2,
        },
        Progress::Approval { chosen: 3 },
        Progress::Score { max: 9 },
        Progress::Points {
            left: 4,
            points: 10,
        },
        Progress::Budget {
            left: 40,
            budget: 100,
        },
    ];
    for p in progresses {
        assert_ne!(progress(Lang::En, p), progress(Lang::Gd, p), "{p:?}");
    }
    let refusals = [
        Refusal::TooMany { max: 2 },
        Refusal::OverBudget { cost: 5, left: 3 },
        Refusal::NotEnoughPoints { left: 1 },
        Refusal::ScoreTooHigh { max: 5 },
        Refusal::WrongChange,
    ];
    for r in refusals {
        assert_ne!(refusal(Lang::En, r), refusal(Lang::Gd, r), "{r:?}");
    }
}
