//! Every string the page shows, in English and Scottish Gaelic, in one place. A message with
//! numbers is a variant with fields, so both languages can place them where their grammar wants.
use crate::ballot::{Progress, Refusal};

/// A language the page speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Scottish Gaelic.
    Gd,
}

impl Lang {
    /// Both, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Gd];

    /// The BCP 47 tag, for the page's `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Gd => "gd",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Gd => "Gàidhlig",
        }
    }
}

/// A message the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// The switch's label.
    Language,
    /// Heading of the opening screen.
    Election,
    /// "Voting opens".
    Opens,
    /// "Voting closes".
    Closes,
    /// The fingerprint's label.
    Fingerprint,
    /// Why the fingerprint is shown.
    FingerprintHelp,
    /// The credential field's label.
    Credential,
    /// Where the credential goes (nowhere).
    CredentialHelp,
    /// A credential that is not 64 hex digits.
    CredentialMalformed,
    /// A credential not on the list.
    CredentialUnknown,
    /// "Continue".
    Continue,
    /// "Back".
    Back,
    /// "Review your ballot".
    Review,
    /// "Encrypt".
    Encrypt,
    /// While encrypting.
    Encrypting,
    /// Sending a ballot to the board.
    Sending,
    /// The tracking code's label.
    TrackingCode,
    /// What the tracking code is for.
    TrackingCodeHelp,
    /// "Cast".
    Cast,
    /// "Audit instead".
    Audit,
    /// What auditing does.
    AuditHelp,
    /// After casting.
    OnTheBoard,
    /// The receipt download.
    DownloadReceipt,
    /// The inclusion check passed (an election without witnesses).
    Included {
        /// The checkpoint's size.
        size: u64,
    },
    /// The inclusion check passed under a checkpoint witnesses cosigned (their names follow).
    Witnessed {
        /// The checkpoint's size.
        size: u64,
    },
    /// The ballot is on the board but not yet under a witnessed checkpoint.
    NotWitnessed,
    /// The audited ballot decrypted to the voter's choices.
    AuditDone,
    /// How to check an audit elsewhere.
    AuditElsewhere,
    /// "Start again".
    StartAgain,
    /// A contest is not complete.
    Incomplete,
    /// The page's assets' hash label.
    PageHash,
    /// Check a tracking code later.
    CheckCode,
    /// The board view.
    Board,
    /// "Results".
    Results,
    /// A problem talking to the board.
    BoardError,
    /// "Vote" (the navigation link).
    Vote,
    /// The phase's label.
    Phase,
    /// The checkpoint's label.
    Checkpoint,
    /// Ballots cast and audited.
    Counts {
        /// Cast ballots (revotes included).
        cast: u64,
        /// Audited ballots.
        audited: u64,
    },
    /// A phase in words.
    Stage(protocol::record::Phase),
    /// How to check the whole record (the exact command follows it).
    VerifyHelp,
    /// The tracking code field's help.
    TrackHelp,
    /// A tracking code found on the board.
    TrackFound {
        /// The entry holding it.
        index: u64,
    },
    /// Voting is over (closed early or at the closing time).
    VotingClosed,
    /// Where to go once voting is over.
    VotingClosedNext,
    /// The closing time's value once voting is over.
    Closed,
    /// A budget contest's project its results fund (§12.7).
    Funded,
    /// A budget contest's project its results do not fund.
    NotFunded,
    /// How a budget contest's results fund projects.
    FundedHelp,
    /// The observer view's witnesses heading.
    Witnesses,
    /// The election names no witnesses.
    NoWitnesses,
    /// The latest witnessed checkpoint's size.
    WitnessedUpTo {
        /// Its size.
        size: u64,
    },
    /// Nothing is witnessed yet.
    NothingWitnessed,
    /// A witness's cosignature is on the latest witnessed checkpoint (the time follows).
    CosignedAt,
    /// A witness's cosignature is not on it.
    NotCosigned,
    /// Credentials with a counted ballot of those listed.
    Turnout {
        /// Credentials with a counted ballot.
        counted: u64,
        /// Listed credentials.
        listed: u64,
    },
}

/// The message in `lang`.
pub fn text(lang: Lang, t: Text) -> String {
    use Lang::*;
    use Text::*;
    let s: &str = match (t, lang) {
        (Language, En) => "Language",
        (Language, Gd) => "Cànan",
        (Election, En) => "Election",
        (Election, Gd) => "Taghadh",
        (Opens, En) => "Voting opens",
        (Opens, Gd) => "Fosglaidh am bhòtadh",
        (Closes, En) => "Voting closes",
        (Closes, Gd) => "Dùinidh am bhòtadh",
        (Fingerprint, En) => "Election fingerprint",
        (Fingerprint, Gd) => "Lorg-meòir an taghaidh",
        (FingerprintHelp, En) => "Compare it with the one the organisers published: if they differ, do not vote here.",
        (FingerprintHelp, Gd) => "Dèan coimeas eadar seo agus an tè a dh'fhoillsich an luchd-eagrachaidh: mura h-ionann iad, na bhòt an seo.",
        (Credential, En) => "Your voting code",
        (Credential, Gd) => "An còd bhòtaidh agad",
        (CredentialHelp, En) => "It stays on this device: only a signature made with it is sent.",
        (CredentialHelp, Gd) => "Fanaidh e air an uidheam seo: cha tèid ach ainm-sgrìobhte a rinneadh leis a chur.",
        (CredentialMalformed, En) => "A voting code is 64 characters, 0–9 and a–f, as printed on your letter.",
        (CredentialMalformed, Gd) => "Tha 64 caractairean ann an còd bhòtaidh, 0–9 agus a–f, mar a tha e air do litir.",
        (CredentialUnknown, En) => "This voting code is not on this election's list. Check it against your letter.",
        (CredentialUnknown, Gd) => "Chan eil an còd bhòtaidh seo air liosta an taghaidh seo. Thoir sùil air an litir agad.",
        (Continue, En) => "Continue",
        (Continue, Gd) => "Lean air adhart",
        (Back, En) => "Back",
        (Back, Gd) => "Air ais",
        (Review, En) => "Review your ballot",
        (Review, Gd) => "Thoir sùil air do bhileag-bhòtaidh",
        (Encrypt, En) => "Encrypt my ballot",
        (Encrypt, Gd) => "Crioptaich mo bhileag-bhòtaidh",
        (Encrypting, En) => "Encrypting on this device…",
        (Encrypting, Gd) => "A' crioptachadh air an uidheam seo…",
        (Sending, En) => "Sending to the public board…",
        (Sending, Gd) => "Ga chur chun a' bhùird phoblaich…",
        (TrackingCode, En) => "Tracking code",
        (TrackingCode, Gd) => "Còd-lorg",
        (TrackingCodeHelp, En) => "Note it: it lets you find your ballot on the public board without revealing your vote.",
        (TrackingCodeHelp, Gd) => "Sgrìobh sìos e: leigidh e leat do bhileag a lorg air a' bhòrd phoblach gun do bhòt a nochdadh.",
        (Cast, En) => "Cast this ballot",
        (Cast, Gd) => "Cuir a-steach a' bhileag seo",
        (Audit, En) => "Audit it instead",
        (Audit, Gd) => "Sgrùdaich i an àite sin",
        (AuditHelp, En) => "Auditing opens this encrypted ballot to show it holds your choices. An audited ballot is never counted: you then vote again.",
        (AuditHelp, Gd) => "Fosglaidh sgrùdadh a' bhileag chrioptaichte seo gus sealltainn gu bheil na roghainnean agad innte. Cha tèid bileag sgrùdaichte a chunntadh gu bràth: bhòtaidh tu a-rithist an uair sin.",
        (OnTheBoard, En) => "Your ballot is on the board.",
        (OnTheBoard, Gd) => "Tha do bhileag air a' bhòrd.",
        (DownloadReceipt, En) => "Download the receipt",
        (DownloadReceipt, Gd) => "Luchdaich a-nuas an cuidhteas",
        (AuditDone, En) => "The audited ballot decrypts to the choices below. It will not be counted.",
        (AuditDone, Gd) => "Tha a' bhileag sgrùdaichte a' fuasgladh gu na roghainnean gu h-ìosal. Cha tèid a cunntadh.",
        (AuditElsewhere, En) => "To check on another device that the board holds this audited ballot and that it opens to these choices, run:",
        (AuditElsewhere, Gd) => "Airson dearbhadh air uidheam eile gu bheil a' bhileag sgrùdaichte seo aig a' bhòrd agus gu bheil i a' fosgladh gu na roghainnean seo, ruith:",
        (StartAgain, En) => "Vote again",
        (StartAgain, Gd) => "Bhòt a-rithist",
        (Incomplete, En) => "Some contests are not complete yet.",
        (Incomplete, Gd) => "Chan eil cuid de na farpaisean deiseil fhathast.",
        (PageHash, En) => "This page's code (SHA-256)",
        (PageHash, Gd) => "Còd na duilleige seo (SHA-256)",
        (CheckCode, En) => "Check a tracking code",
        (CheckCode, Gd) => "Thoir sùil air còd-lorg",
        (Board, En) => "The public board",
        (Board, Gd) => "Am bòrd poblach",
        (Results, En) => "Results",
        (Results, Gd) => "Toraidhean",
        (BoardError, En) => "The board could not be reached or refused: ",
        (BoardError, Gd) => "Cha b' urrainnear am bòrd a ruigsinn no dhiùlt e: ",
        (Vote, En) => "Vote",
        (Vote, Gd) => "Bhòt",
        (Phase, En) => "Stage",
        (Phase, Gd) => "Ìre",
        (Checkpoint, En) => "Latest signed checkpoint",
        (Checkpoint, Gd) => "A' phuing-sgrùdaidh shoidhnichte as ùire",
        (VerifyHelp, En) => "To check every step yourself, run the independent verifier on any computer:",
        (VerifyHelp, Gd) => "Airson gach ceum a sgrùdadh thu fhèin, ruith an dearbhadair neo-eisimeileach air coimpiutair sam bith:",
        (Stage(phase), En) => match phase {
            protocol::record::Phase::Setup => "Being set up",
            protocol::record::Phase::KeyCeremony => "The trustees are making the election key",
            protocol::record::Phase::VotingOpen => "Voting is open",
            protocol::record::Phase::VotingClosed => "Voting has closed; the count is being prepared",
            protocol::record::Phase::Tally => "The trustees are decrypting the results",
            protocol::record::Phase::ResultsPublished => "Results published",
        },
        (Stage(phase), Gd) => match phase {
            protocol::record::Phase::Setup => "Ga chur air dòigh",
            protocol::record::Phase::KeyCeremony => "Tha na h-urrasairean a' dèanamh iuchair an taghaidh",
            protocol::record::Phase::VotingOpen => "Tha am bhòtadh fosgailte",
            protocol::record::Phase::VotingClosed => "Tha am bhòtadh dùinte; thathar ag ullachadh a' chunntais",
            protocol::record::Phase::Tally => "Tha na h-urrasairean a' fuasgladh nan toraidhean",
            protocol::record::Phase::ResultsPublished => "Chaidh na toraidhean fhoillseachadh",
        },
        (TrackHelp, En) => "The tracking code as the page showed it (six groups of four), or the 64 characters in your receipt.",
        (TrackHelp, Gd) => "An còd-lorg mar a sheall an duilleag e (sia buidhnean de cheithir), no na 64 caractairean sa chuidhteas agad.",
        (VotingClosed, En) => "Voting has closed: ballots are no longer accepted.",
        (VotingClosed, Gd) => "Tha am bhòtadh seachad: chan eilear a' gabhail ri bileagan tuilleadh.",
        (VotingClosedNext, En) => "The results appear on the board page once the trustees publish them; you can check your ballot there with its tracking code.",
        (VotingClosedNext, Gd) => "Nochdaidh na toraidhean air duilleag a' bhùird nuair a dh'fhoillsicheas na h-urrasairean iad; faodaidh tu sùil a thoirt air a' bhileag agad an sin leis a' chòd-lorg aice.",
        (Funded, En) => "Funded",
        (Funded, Gd) => "Maoinichte",
        (NotFunded, En) => "Not funded",
        (NotFunded, Gd) => "Gun mhaoineachadh",
        (FundedHelp, En) => "Funded within the budget: most votes first; a project that no longer fits what is left is passed over for the next.",
        (FundedHelp, Gd) => "Maoinichte taobh a-staigh a' bhuidseit: na bhòtaichean as motha an toiseach; thèid pròiseact nach freagair air na tha air fhàgail a leigeil seachad airson an ath fhear.",
        (Witnesses, En) => "Witnesses",
        (Witnesses, Gd) => "Fianaisean",
        (NoWitnesses, En) => "This election names no independent witnesses: only the board's word says that everyone sees the same record.",
        (NoWitnesses, Gd) => "Chan eil fianaisean neo-eisimeileach aig an taghadh seo: chan eil ach facal a' bhùird ag ràdh gu bheil a h-uile duine a' faicinn an aon chlàr.",
        (NothingWitnessed, En) => "No checkpoint has been cosigned by enough witnesses yet.",
        (NothingWitnessed, Gd) => "Cha do cho-shoidhnich fianaisean gu leòr puing-sgrùdaidh fhathast.",
        (CosignedAt, En) => "cosigned it at",
        (CosignedAt, Gd) => "cho-shoidhnich e aig",
        (NotCosigned, En) => "has not cosigned it",
        (NotCosigned, Gd) => "cha do cho-shoidhnich e e",
        (Closed, En) => "Closed",
        (Closed, Gd) => "Dùinte",
        (WitnessedUpTo { size }, En) => {
            return format!("The latest checkpoint witnessed by the quorum covers {size} entries:")
        }
        (WitnessedUpTo { size }, Gd) => {
            return format!("Tha a' phuing-sgrùdaidh as ùire a dhearbh an cuòram a' gabhail a-steach {size} inntrigidhean:")
        }
        (Turnout { counted, listed }, En) => {
            let pct = crate::board::percent(counted, listed);
            return format!("Turnout: {counted} of {listed} listed voters ({pct}) have a counted ballot.")
        }
        (Turnout { counted, listed }, Gd) => {
            let pct = crate::board::percent(counted, listed);
            return format!("Com-pàirteachadh: tha bileag air a cunntadh aig {counted} de {listed} luchd-bhòtaidh clàraichte ({pct}).")
        }
        (Counts { cast, audited }, En) => {
            return format!("{cast} ballots cast (revotes included), {audited} audited.")
        }
        (Counts { cast, audited }, Gd) => {
            return format!("{cast} bileagan air an cur a-steach (bhòtaichean às ùr nam measg), {audited} air an sgrùdadh.")
        }
        (TrackFound { index }, En) => {
            return format!("This ballot is on the board, at entry {index}.")
        }
        (TrackFound { index }, Gd) => {
            return format!("Tha a' bhileag seo air a' bhòrd, aig inntrigeadh {index}.")
        }
        (Included { size }, En) => {
            return format!("Included under the board's signed checkpoint of {size} entries (inclusion proof checked on this device). This election has no independent witnesses: the board's word alone says others see the same record.")
        }
        (Witnessed { size }, En) => {
            return format!("Included under a checkpoint of {size} entries that the board signed and these independent witnesses cosigned (inclusion proof and every signature checked on this device):")
        }
        (Witnessed { size }, Gd) => {
            return format!("Air a ghabhail a-steach fo phuing-sgrùdaidh de {size} inntrigidhean a shoidhnich am bòrd agus a cho-shoidhnich na fianaisean neo-eisimeileach seo (dearbhadh in-ghabhail agus gach soidhneadh air an sgrùdadh air an uidheam seo):")
        }
        (NotWitnessed, En) => "Your ballot is on the board (its receipt is signed and checked), but no checkpoint covering it has been cosigned by enough independent witnesses yet. Keep your receipt and check your tracking code again later on the board's tracking page.",
        (NotWitnessed, Gd) => "Tha a' bhileag agad air a' bhòrd (tha an cuidhteas aice soidhnichte is sgrùdaichte), ach cha do cho-shoidhnich fianaisean neo-eisimeileach gu leòr puing-sgrùdaidh a tha ga gabhail a-steach fhathast. Cùm an cuidhteas agad agus thoir sùil air a' chòd-lorg agad a-rithist nas fhaide air adhart air duilleag lorg a' bhùird.",
        (Included { size }, Gd) => {
            return format!("Air a ghabhail a-steach fo phuing-sgrùdaidh shoidhnichte a' bhùird le {size} inntrigidhean (dearbhadh in-ghabhail air a sgrùdadh air an uidheam seo). Chan eil fianaisean neo-eisimeileach aig an taghadh seo: chan eil ach facal a' bhùird ag ràdh gu bheil càch a' faicinn an aon chlàr.")
        }
    };
    s.to_owned()
}

/// What is left to do in a contest, in words.
pub fn progress(lang: Lang, p: Progress) -> String {
    match (p, lang) {
        (Progress::Choose { chosen, min, max }, Lang::En) => {
            if chosen < min {
                format!(
                    "Choose {} more (between {min} and {max} in all).",
                    min - chosen
                )
            } else if chosen < max {
                format!("{chosen} chosen; you may choose {} more.", max - chosen)
            } else {
                format!("{chosen} chosen: the most allowed.")
            }
        }
        (Progress::Choose { chosen, min, max }, Lang::Gd) => {
            if chosen < min {
                format!(
                    "Tagh {} eile (eadar {min} agus {max} uile gu lèir).",
                    min - chosen
                )
            } else if chosen < max {
                format!(
                    "{chosen} air an taghadh; faodaidh tu {} eile a thaghadh.",
                    max - chosen
                )
            } else {
                format!("{chosen} air an taghadh: an àireamh as motha a tha ceadaichte.")
            }
        }
        (Progress::Approval { chosen }, Lang::En) => {
            format!("{chosen} approved; approve as many as you like.")
        }
        (Progress::Approval { chosen }, Lang::Gd) => {
            format!("{chosen} air an aontachadh; aontaich ri na thogras tu.")
        }
        (Progress::Score { max }, Lang::En) => format!("Give each option a score from 0 to {max}."),
        (Progress::Score { max }, Lang::Gd) => {
            format!("Thoir sgòr eadar 0 agus {max} do gach roghainn.")
        }
        (Progress::Points { left, points }, Lang::En) => {
            format!("{left} of {points} points left to give.")
        }
        (Progress::Points { left, points }, Lang::Gd) => {
            format!("{left} de {points} puingean air fhàgail ri thoirt seachad.")
        }
        (Progress::Budget { left, budget }, Lang::En) => {
            format!("{left} of {budget} left to spend.")
        }
        (Progress::Budget { left, budget }, Lang::Gd) => {
            format!("{left} de {budget} air fhàgail ri chosg.")
        }
        (Progress::Ranked { ranked, ranks }, Lang::En) => format!(
            "{ranked} of up to {ranks} preferences given: rank as many or as few as you like, 1 for your first choice."
        ),
        (Progress::Ranked { ranked, ranks }, Lang::Gd) => format!(
            "{ranked} de suas ri {ranks} roghainnean air an toirt seachad: rangaich na thogras tu, 1 airson a' chiad roghainn agad."
        ),
    }
}

/// A ranked contest's controls and read-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Button: give this option the next preference.
    RankNext,
    /// Button: one preference earlier.
    Earlier,
    /// Button: one preference later.
    Later,
    /// Button: take it out of the ranking.
    Remove,
    /// Beside an option without a preference.
    NotRanked,
    /// Heading of the read-back list.
    YourRanking,
    /// The read-back when nothing is ranked.
    NothingRanked,
    /// The results view: ranked contests are not summed.
    CountedAfterMixing,
    /// The count sheet: before the elected candidates' names.
    Elected,
    /// The count sheet's caption.
    CountSheet,
    /// Before a stage's number.
    Stage,
    /// Stage 1's action.
    FirstPreferences,
    /// Before the name of the candidate whose surplus a stage transfers.
    SurplusOf,
    /// Before the name of the candidate a stage excludes.
    ExclusionOf,
    /// A tie settled by lot, before the chosen candidate's name.
    ByLot,
    /// Beside a candidate's votes at the stage they were elected.
    ElectedMark,
    /// The row of non-transferable papers.
    NonTransferable,
    /// Before the number of papers decrypted.
    Papers,
    /// Before the number of valid papers.
    ValidPapers,
    /// Before the quota.
    Quota,
}

/// A ranked contest's words.
pub fn ranking(lang: Lang, r: Ranking) -> String {
    use Ranking::*;
    let s = match (r, lang) {
        (RankNext, Lang::En) => "Rank next",
        (RankNext, Lang::Gd) => "Rangaich an ath thè",
        (Earlier, Lang::En) => "Move up",
        (Earlier, Lang::Gd) => "Gluais suas",
        (Later, Lang::En) => "Move down",
        (Later, Lang::Gd) => "Gluais sìos",
        (Remove, Lang::En) => "Remove",
        (Remove, Lang::Gd) => "Thoir air falbh",
        (NotRanked, Lang::En) => "not ranked",
        (NotRanked, Lang::Gd) => "gun rangachadh",
        (YourRanking, Lang::En) => "Your ranking, in order of preference:",
        (YourRanking, Lang::Gd) => "An rangachadh agad, ann an òrdugh roghainn:",
        (NothingRanked, Lang::En) => "Nothing ranked: this contest is left blank.",
        (NothingRanked, Lang::Gd) => "Chan eil dad air a rangachadh: thèid an fharpais seo fhàgail bàn.",
        (CountedAfterMixing, Lang::En) => "Ranked ballots are not added up: after the close they are mixed, decrypted one by one and counted by the rules named for this contest.",
        (CountedAfterMixing, Lang::Gd) => "Chan eil baileatan rangaichte gan cur ri chèile: an dèidh an dùnaidh thèid am measgachadh, an dì-chrioptachadh fear air fhear agus an cunntadh a rèir nan riaghailtean airson na farpais seo.",
        (Elected, Lang::En) => "Elected",
        (Elected, Lang::Gd) => "Air an taghadh",
        (CountSheet, Lang::En) => "The count, stage by stage (votes at the end of each stage)",
        (CountSheet, Lang::Gd) => "An cunntadh, ìre air ìre (bhòtaichean aig deireadh gach ìre)",
        (Stage, Lang::En) => "Stage",
        (Stage, Lang::Gd) => "Ìre",
        (FirstPreferences, Lang::En) => "first preferences",
        (FirstPreferences, Lang::Gd) => "ciad roghainnean",
        (SurplusOf, Lang::En) => "surplus of",
        (SurplusOf, Lang::Gd) => "còrr aig",
        (ExclusionOf, Lang::En) => "excluded:",
        (ExclusionOf, Lang::Gd) => "air a chur a-mach:",
        (ByLot, Lang::En) => "tie settled by lot",
        (ByLot, Lang::Gd) => "ionannachd air a rèiteachadh le crannchur",
        (ElectedMark, Lang::En) => "elected",
        (ElectedMark, Lang::Gd) => "air a thaghadh",
        (NonTransferable, Lang::En) => "Non-transferable",
        (NonTransferable, Lang::Gd) => "Neo-ghluasadach",
        (Papers, Lang::En) => "Papers",
        (Papers, Lang::Gd) => "Pàipearan",
        (ValidPapers, Lang::En) => "valid",
        (ValidPapers, Lang::Gd) => "dligheach",
        (Quota, Lang::En) => "quota",
        (Quota, Lang::Gd) => "cuota",
    };
    s.to_owned()
}

/// "Preference n" beside a ranked option.
pub fn preference(lang: Lang, n: u32) -> String {
    match lang {
        Lang::En => format!("preference {n}"),
        Lang::Gd => format!("roghainn {n}"),
    }
}

/// Why a change was refused, in words.
pub fn refusal(lang: Lang, r: Refusal) -> String {
    match (r, lang) {
        (Refusal::TooMany { max }, Lang::En) => {
            format!("You may choose at most {max}: deselect one first.")
        }
        (Refusal::TooMany { max }, Lang::Gd) => {
            format!("Chan fhaod thu barrachd air {max} a thaghadh: dì-thagh tè an toiseach.")
        }
        (Refusal::OverBudget { cost, left }, Lang::En) => {
            format!("This costs {cost} but only {left} is left: deselect something first.")
        }
        (Refusal::OverBudget { cost, left }, Lang::Gd) => {
            format!("Cosgaidh seo {cost} ach chan eil ach {left} air fhàgail: dì-thagh rudeigin an toiseach.")
        }
        (Refusal::NotEnoughPoints { left }, Lang::En) => {
            format!("At most {left} points can go here.")
        }
        (Refusal::NotEnoughPoints { left }, Lang::Gd) => {
            format!("Chan urrainn ach {left} puingean aig a' char as motha a dhol an seo.")
        }
        (Refusal::ScoreTooHigh { max }, Lang::En) => format!("The highest score is {max}."),
        (Refusal::ScoreTooHigh { max }, Lang::Gd) => format!("'S e {max} an sgòr as àirde."),
        (Refusal::RanksFull { ranks }, Lang::En) => {
            format!("All {ranks} preferences are given: remove one first.")
        }
        (Refusal::RanksFull { ranks }, Lang::Gd) => {
            format!("Tha na {ranks} roghainnean uile air an toirt seachad: thoir tè air falbh an toiseach.")
        }
        (Refusal::AlreadyRanked, Lang::En) => {
            "This is ranked already: move it up or down instead.".into()
        }
        (Refusal::AlreadyRanked, Lang::Gd) => {
            "Tha seo air a rangachadh mu thràth: gluais suas no sìos e na àite.".into()
        }
        (Refusal::CannotMove, Lang::En) => "It cannot move that way.".into(),
        (Refusal::CannotMove, Lang::Gd) => "Chan urrainn dha gluasad an taobh sin.".into(),
        (Refusal::WrongChange | Refusal::NoSuchOption, Lang::En) => {
            "That is not possible in this contest.".into()
        }
        (Refusal::WrongChange | Refusal::NoSuchOption, Lang::Gd) => {
            "Chan eil sin comasach san fharpais seo.".into()
        }
    }
}
