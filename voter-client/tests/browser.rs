//! The voting page in a real headless Chromium (Debian's chromium and chromedriver, driven over
//! the W3C WebDriver protocol) against a real `bulletin-board` process serving the built page:
//! a voter opens the link, audits one ballot (the page shows what it opened to), votes again,
//! casts and downloads the receipt; the election is then closed and tallied, and the verifier
//! finds the cast ballot counted and the audited one audited. Needs `scripts/build-client.sh`
//! to have built `voter-client/dist` (the README's test command does), and fails, never skips,
//! when the browser or the page is missing.
#[path = "common/browser.rs"]
mod browser;
#[path = "../../election-authority/tests/common/processes.rs"]
mod processes;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use browser::{dist, Browser};
use bulletin_board::sim::{
    every_contest_kind, every_kind_selection, one_of_five, SimElection, SimSpec,
};
use processes::{board_key, scratch, workspace_binary, Board, ORIGIN};
use protocol::ballot::BallotEncryption;
use protocol::manifest::Contest;
use protocol::manifest::{BoardInfo, WitnessInfo};
use protocol::record::{Entry, Leaf, SignedEntry};
use rand_core::OsRng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn post(url: &str, path: &str, entry: &SignedEntry) {
    ureq::post(&format!("{url}{path}"))
        .set("content-type", "application/json")
        .send_string(&entry.post_body())
        .unwrap_or_else(|e| panic!("posting to {path}: {e}"));
}

fn leaves(url: &str, id: &str) -> Vec<Leaf> {
    let page: Value = ureq::get(&format!("{url}/v1/elections/{id}/entries?start=0&end=1000"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Leaf::from_bytes(&B64.decode(e["leaf"].as_str().unwrap()).unwrap(), 2).unwrap())
        .collect()
}

fn wait_for_size(url: &str, id: &str, size: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while leaves(url, id).len() < size {
        assert!(
            Instant::now() < deadline,
            "the board did not reach {size} leaves"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A board process serving the page, with an election open for voting on it; returns the number
/// of leaves up to the opening.
fn live_election(
    label: &str,
    contests: Vec<Contest>,
    weights: Vec<u64>,
) -> (Board, SimElection, usize) {
    live_election_with(label, contests, weights, (Vec::new(), 0))
}

/// [`live_election`] whose manifest names these witnesses and quorum.
fn live_election_with(
    label: &str,
    contests: Vec<Contest>,
    weights: Vec<u64>,
    witnesses: (Vec<WitnessInfo>, u32),
) -> (Board, SimElection, usize) {
    let dir = scratch(label);
    let board = Board::start_serving(&dir.join("board"), Some(&dist()));
    let url = board.url.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let e = SimElection::witnessed(
        &format!("{label}-{}", dir.display()),
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (now - 60, now + 3600),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests,
            weights,
            tampered_share: None,
        },
        witnesses,
        &mut OsRng,
    );
    let id = e.id();
    post(&url, "/v1/elections", &e.manifest_entry());
    for (kind, entry) in e.setup_entries() {
        post(&url, &format!("/v1/elections/{id}/{kind}"), &entry);
    }
    let setup = e.setup_entries().len() + 1;
    wait_for_size(&url, &id, setup);
    (board, e, setup)
}

/// WCAG 2.1 AA (1.4.3): every visible text on the screen has a contrast ratio of at least 4.5:1
/// against its background (3:1 for large text), from the computed colours, translucent
/// backgrounds composited over their ancestors'.
fn assert_contrast(browser: &Browser, screen: &str) {
    let found = browser.script(
        r#"const done = arguments[0];
        const rgba = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
          const p = m[1].split(',').map(parseFloat); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
        const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
        const background = el => { const layers = [];
          for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
            if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
          return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]); };
        const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
          return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
        const bad = []; let checked = 0;
        for (const el of document.querySelectorAll('body *')) {
          if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
          const st = getComputedStyle(el), r = el.getBoundingClientRect();
          if (st.visibility === 'hidden' || r.width === 0 || r.height === 0) continue;
          const bg = background(el), fg = over(rgba(st.color), bg);
          const [a, b] = [lum(fg), lum(bg)];
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
          const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
          checked++;
          if (ratio < need) bad.push(`${el.tagName}#${el.id}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)} < ${need}`);
        }
        done({checked, bad});"#,
    );
    let checked = found["checked"].as_u64().unwrap();
    assert!(checked >= 3, "{screen}: only {checked} texts found");
    let bad = found["bad"].as_array().unwrap();
    assert!(bad.is_empty(), "{screen}: contrast below WCAG AA: {bad:?}");
}

#[test]
fn a_voter_audits_then_casts_in_chromium_and_the_verifier_counts_it() {
    let dist = dist();
    let (board, e, setup) = live_election("browser", one_of_five(), vec![1, 2]);
    let (url, id) = (board.url.clone(), e.id());

    let browser = Browser::start();
    // The voting code comes in the link's fragment, which never reaches the server.
    let code = hex::encode(e.credentials[1].to_seed());
    browser.goto(&format!("{url}/#e={id}&c={code}"));
    // The election is shown once the page has checked it (§11.8).
    browser.wait_for(".fingerprint");
    assert_eq!(browser.text("h1").unwrap(), e.manifest.title);
    assert_eq!(
        browser.text(".fingerprint").unwrap(),
        hex::encode(e.context.fingerprint)
    );
    let wasm = std::fs::read(dist.join("thistle_bg.wasm")).unwrap();
    browser.wait_for("#page-hash");
    assert_eq!(
        browser.text("#page-hash").unwrap(),
        hex::encode(Sha256::digest(&wasm))
    );
    assert_contrast(&browser, "the ballot");

    // Choose Catriona; review; encrypt; audit.
    browser.click("#c0-o2");
    browser.click("#next");
    browser.wait_for("h2");
    assert_contrast(&browser, "the review");
    browser.click("#next");
    browser.wait_for("#tracking-code");
    let audit_code = browser.text("#tracking-code").unwrap();
    browser.click("#audit");
    browser.wait_for("#opened");
    let opened = browser.text("#opened").unwrap();
    assert!(opened.contains("Candidate catriona"), "{opened}");
    assert_contrast(&browser, "the audit");
    let command = browser.text("#audit-command").unwrap();
    assert!(
        command.contains(&format!(
            "--board {url} --election {id} --code {audit_code}"
        )),
        "{command}"
    );
    // On the phone-sized screen nothing is wider than the screen.
    let width = browser.script("arguments[0](document.documentElement.scrollWidth)");
    let wide = browser.script(
        "arguments[0]([...document.querySelectorAll('body *')]
           .filter(e => e.getBoundingClientRect().right > 390)
           .map(e => e.tagName + '#' + e.id + '.' + e.className).join(' '))",
    );
    assert!(
        width.as_u64().unwrap() <= 390,
        "the page scrolls sideways: {width}: {wide}"
    );

    // Again with fresh randomness; cast.
    browser.click("#again");
    browser.click("#next");
    browser.wait_for("#cast");
    let cast_code = browser.text("#tracking-code").unwrap();
    assert_ne!(cast_code, audit_code);
    browser.click("#cast");
    browser.wait_for("#receipt");
    assert_eq!(browser.text("#cast-code").unwrap(), cast_code);
    let receipt = browser.script(
        "const done = arguments[arguments.length - 1];
         fetch(document.querySelector('#receipt').href).then(r => r.text()).then(done);",
    );
    let receipt: Value = serde_json::from_str(receipt.as_str().unwrap()).unwrap();
    assert_eq!(receipt["tracking_code_short"], cast_code.as_str());
    assert_eq!(receipt["election"], id.as_str());
    // The page proved the ballot is under a checkpoint signed by the board.
    browser.wait_for("#included");
    let included = browser.text("#included").unwrap();
    assert!(included.contains("inclusion proof checked"), "{included}");
    assert_contrast(&browser, "the cast ballot");

    // The administrator closes the vote and the trustees decrypt what the board holds.
    wait_for_size(&url, &id, setup + 2);
    let on_board = leaves(&url, &id);
    let cast: Vec<(&protocol::ballot::Ballot, u64)> = on_board
        .iter()
        .filter_map(|l| match &l.signed.entry {
            Entry::Ballot(b) => Some((b, 2)),
            _ => None,
        })
        .collect();
    assert_eq!(cast.len(), 1, "one ballot cast");
    for entry in e.closing(&cast, &[1, 3], &mut OsRng) {
        let kind = match entry.entry {
            Entry::Phase { .. } => "phase",
            Entry::EncryptedTally(_) => "tally",
            Entry::PartialDecryption(_) => "partial-decryptions",
            _ => "results",
        };
        post(&url, &format!("/v1/elections/{id}/{kind}"), &entry);
    }
    let size = setup + 2 + 6;
    wait_for_size(&url, &id, size);
    std::thread::sleep(Duration::from_millis(300));
    let ask = |code: &str| {
        let out = Command::new(workspace_binary("verifier-cli", "thistle-verify"))
            .args([
                "verify-ballot",
                "--board",
                &url,
                "--election",
                &id,
                "--code",
                code,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{text}");
        text
    };
    let text = ask(&cast_code);
    assert!(text.contains("Status: counted"), "{text}");
    let text = ask(&audit_code);
    assert!(text.contains("Status: audited"), "{text}");

    // The observer view: the phase, the counts, and the results the administrator signed (voter
    // 1 carries weight 2 and chose Catriona).
    browser.goto(&format!("{url}/#e={id}&view=board"));
    browser.wait_for("#results");
    assert_eq!(browser.text("#phase").unwrap(), "Results published");
    assert_eq!(
        browser.text("#verify-command").unwrap(),
        format!("thistle-verify verify --board {url} --election {id}"),
        "the exact command for this board and election, ready to copy"
    );
    let counts = browser.text("#counts").unwrap();
    assert!(
        counts.contains("1 ballots cast") && counts.contains("1 audited"),
        "{counts}"
    );
    let results = browser.text("#results").unwrap();
    assert!(
        results.contains("Candidate catriona 2 100.0%"),
        "each option's total and share: {results}"
    );
    assert!(
        browser
            .text("#no-witnesses")
            .unwrap()
            .contains("no independent witnesses"),
        "an election without witnesses says so plainly"
    );
    let turnout = browser.text("#turnout").unwrap();
    assert!(
        turnout.contains("1 of 2 listed voters (50.0%)"),
        "{turnout}"
    );
    assert_contrast(&browser, "the observer view");
    browser.click("button[lang=gd]");
    assert_eq!(
        browser.text("#phase").unwrap(),
        "Chaidh na toraidhean fhoillseachadh",
        "the phase in words in Gaelic too"
    );
    assert_contrast(&browser, "the observer view in Gaelic");
    assert!(
        browser.text("#turnout").unwrap().contains("1 de 2"),
        "the turnout in Gaelic"
    );
    browser.click("button[lang=en]");
    // Voting closed early (the manifest's window runs another hour): the voting page says so
    // and points to the results and the tracking page instead of asking for a voting code.
    browser.goto(&format!("{url}/#e={id}"));
    browser.wait_for("#voting-closed");
    let notice = browser.text("#voting-closed").unwrap();
    assert!(
        notice.contains("Voting has closed") && notice.contains("Results"),
        "{notice}"
    );
    assert!(
        browser.find("#code").is_none(),
        "no voting code is asked for"
    );
    assert_contrast(&browser, "the voting-closed notice");
    browser.click("button[lang=gd]");
    let notice = browser.text("#voting-closed").unwrap();
    assert!(notice.contains("Tha am bhòtadh seachad"), "{notice}");
    browser.click("button[lang=en]");
    // The tracking-code page finds the cast ballot by the short code the page showed, typed back
    // in lower case with spaces.
    browser.goto(&format!("{url}/#e={id}&view=track"));
    let field = browser.wait_for("#track");
    let typed = cast_code.to_lowercase().replace('-', " ");
    browser
        .call(
            "POST",
            &format!("/element/{field}/value"),
            Some(json!({ "text": typed })),
        )
        .unwrap();
    browser.click("button[type=submit]");
    browser.wait_for("#tracked");
    assert_contrast(&browser, "the tracking page");
    let found = browser.text("#tracked").unwrap();
    assert!(
        found.contains(&format!("at entry {}", receipt["index"])),
        "{found}"
    );
}

/// Types keys into an element (WebDriver focuses it first), as a keyboard would.
fn type_into(browser: &Browser, css: &str, text: &str) {
    let el = browser.wait_for(css);
    browser
        .call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .unwrap();
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

#[test]
fn every_contest_kind_with_the_keyboard_alone() {
    let (board, e, setup) = live_election("keyboard", every_contest_kind(), vec![1, 1]);
    let (url, id) = (board.url.clone(), e.id());
    let browser = Browser::start();
    browser.goto(&format!(
        "{url}/#e={id}&c={}&lang=gd",
        hex::encode(e.credentials[1].to_seed())
    ));
    browser.wait_for("#c6-o2");
    // In Gaelic, as asked.
    assert!(browser.text("#next").unwrap().contains("sùil"));

    // Tab alone reaches every contest and the button that goes on.
    let press = |key: &str| {
        browser
            .call(
                "POST",
                "/actions",
                Some(
                    json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                    {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
                ),
            )
            .unwrap();
    };
    let mut reached = Vec::new();
    for _ in 0..40 {
        press(TAB);
        let active = browser.script("arguments[0](document.activeElement.id)");
        reached.push(active.as_str().unwrap_or_default().to_owned());
    }
    for c in 0..7 {
        assert!(
            reached.iter().any(|id| id.starts_with(&format!("c{c}-o"))),
            "contest {c} not reachable by Tab: {reached:?}"
        );
    }
    assert!(reached.iter().any(|id| id == "next"), "{reached:?}");

    // Keys typed into the focused controls: space ticks, digits and Tab set a number.
    let keys = |css: &str, text: &str| type_into(&browser, css, text);
    let number = |css: &str, value: u64| {
        let el = browser.wait_for(css);
        browser
            .call("POST", &format!("/element/{el}/clear"), Some(json!({})))
            .unwrap();
        keys(css, &format!("{value}{TAB}"));
    };
    let selection = every_kind_selection(1);
    for (c, values) in selection.iter().enumerate() {
        for (o, &v) in values.iter().enumerate() {
            match c {
                4 | 5 => number(&format!("#c{c}-o{o}"), v),
                6 => {}
                _ if v == 1 => keys(&format!("#c{c}-o{o}"), " "),
                _ => {}
            }
        }
    }
    // The budget refuses what it cannot pay, and says so, before the voter fixes it.
    keys("#c6-o0", " ");
    keys("#c6-o1", " ");
    keys("#c6-o2", " ");
    let refusal = browser.text(".refusal").unwrap();
    assert!(
        refusal.contains("25") && refusal.contains("10"),
        "{refusal}"
    );
    // Every contest kind, the rules' counters and the refusal, in Gaelic.
    assert_contrast(&browser, "the ballot of every kind with a refusal");
    keys("#c6-o0", " ");
    keys("#c6-o2", " ");
    keys("#next", ENTER);
    browser.wait_for("h2");
    // Every state of the progress bar while encrypting, as the DOM changes.
    browser.script(
        "window.progressSeen = [];
         new MutationObserver(() => {
           const p = document.getElementById('encrypt-progress');
           if (p) window.progressSeen.push(p.hasAttribute('value') ? [p.value, p.max] : null);
         }).observe(document.body, { subtree: true, childList: true, attributes: true });
         arguments[0](true)",
    );
    keys("#next", ENTER);
    keys("#cast", ENTER);
    browser.wait_for("#included");

    // The encryption ran in steps and said how far it had got: indeterminate until the first
    // report, then from 0 of all its steps, never backwards.
    let key = e.credentials[1].public_key();
    let total = BallotEncryption::new(&e.ballots, &key, 1, 0, &selection)
        .unwrap()
        .steps_total() as f64;
    let seen = browser.script("arguments[0](window.progressSeen)");
    let seen: Vec<Option<(f64, f64)>> = serde_json::from_value(seen).unwrap();
    let determinate: Vec<(f64, f64)> = seen.iter().flatten().copied().collect();
    assert_eq!(determinate.first(), Some(&(0.0, total)), "{seen:?}");
    assert!(
        determinate
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[1].0 < total && w[1].1 == total),
        "{seen:?}"
    );

    // What the page encrypted is exactly what the voter chose: the tally of the board's one
    // ballot decrypts to the selection.
    wait_for_size(&url, &id, setup + 1);
    let on_board = leaves(&url, &id);
    let cast: Vec<(&protocol::ballot::Ballot, u64)> = on_board
        .iter()
        .filter_map(|l| match &l.signed.entry {
            Entry::Ballot(b) => Some((b, 1)),
            _ => None,
        })
        .collect();
    let closing = e.closing(&cast, &[1, 2], &mut OsRng);
    let Entry::Results(results) = &closing.last().unwrap().entry else {
        panic!("no results")
    };
    assert_eq!(results.totals, selection);

    // Published, the observer view says which budget projects the totals fund (§12.7): voter 1
    // chose options 1 and 2; option 0 has no votes and is not funded.
    for entry in &closing {
        let kind = match entry.entry {
            Entry::Phase { .. } => "phase",
            Entry::EncryptedTally(_) => "tally",
            Entry::PartialDecryption(_) => "partial-decryptions",
            _ => "results",
        };
        post(&url, &format!("/v1/elections/{id}/{kind}"), entry);
    }
    wait_for_size(&url, &id, setup + 1 + closing.len());
    browser.goto(&format!("{url}/#e={id}&view=board&lang=gd"));
    browser.wait_for("#results");
    let funding = || {
        browser.script(
            "arguments[0]([...[...document.querySelectorAll('#results table')].pop()
               .querySelectorAll('td.funded, td.not-funded')].map(c => c.textContent.trim()))",
        )
    };
    assert_eq!(
        funding(),
        json!(["Gun mhaoineachadh", "Maoinichte", "Maoinichte"]),
        "the budget's funded projects, in Gaelic"
    );
    assert!(browser.text(".funded-help").unwrap().contains("bhuidseit"));
    browser.click("button[lang=en]");
    assert_eq!(funding(), json!(["Not funded", "Funded", "Funded"]));
    assert_contrast(&browser, "the results of every contest kind");
}

/// §13.5, §13.9 in Chromium: the manifest names two witnesses that never answer, so no checkpoint
/// is ever witnessed. The page takes the ballot's receipt but does not confirm its inclusion; it
/// says plainly that the ballot is on the board but not yet witnessed, and what to do.
#[test]
fn without_a_witnessed_checkpoint_the_page_does_not_confirm_the_ballot() {
    let witnesses: Vec<WitnessInfo> = (0..2u8)
        .map(|i| WitnessInfo {
            name: format!("w{i}.unreachable.test"),
            key: protocol::signature::SecretKey::from_seed(&[60 + i; 32]).public_key(),
            url: "http://127.0.0.1:9".into(),
        })
        .collect();
    let (board, e, _) = live_election_with("unwitnessed", one_of_five(), vec![1], (witnesses, 2));
    let (url, id) = (board.url.clone(), e.id());
    let browser = Browser::start();
    browser.goto(&format!(
        "{url}/#e={id}&c={}",
        hex::encode(e.credentials[0].to_seed())
    ));
    browser.wait_for(".fingerprint");
    browser.click("#c0-o1");
    browser.click("#next");
    browser.wait_for("h2");
    browser.click("#next");
    browser.click("#cast");
    browser.wait_for("#receipt");
    // The page waits a minute for a witnessed checkpoint, then says so.
    let deadline = Instant::now() + Duration::from_secs(100);
    while browser.find("#not-witnessed").is_none() {
        assert!(
            Instant::now() < deadline,
            "no notice: {}",
            browser.text("body").unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let notice = browser.text("#not-witnessed").unwrap();
    assert!(
        notice.contains("on the board")
            && notice.contains("enough independent witnesses yet")
            && notice.contains("receipt"),
        "{notice}"
    );
    assert!(
        browser.find("#included").is_none(),
        "no inclusion is confirmed under a checkpoint nobody witnessed"
    );
    assert_contrast(&browser, "the not-witnessed notice");
}

/// A ranked contest (spec §7.1) in Chromium, by keyboard alone and in Gaelic: options are ranked by
/// buttons (never drag only), the ranking is read back on the ballot and on the review screen, and
/// an audit of the encrypted ballot opens to exactly that ranking.
#[test]
fn a_ranked_contest_by_keyboard_read_back_and_audited() {
    let names = [
        "Morag Campbell",
        "Euan MacLeod",
        "Isla Fraser",
        "Fergus Reid",
    ];
    let ward = Contest {
        id: "ward".into(),
        title: "Ward 3: elect two councillors".into(),
        kind: protocol::manifest::ContestKind::Ranked {
            ranks: 3,
            seats: 2,
            method: protocol::manifest::RankedMethod::ScottishStv,
        },
        options: names
            .iter()
            .enumerate()
            .map(|(i, n)| protocol::manifest::ContestOption {
                id: format!("c{i}"),
                title: (*n).into(),
            })
            .collect(),
    };
    let (board, e, setup) = live_election("ranked", vec![ward], vec![1, 1]);
    let (url, id) = (board.url.clone(), e.id());
    let browser = Browser::start();
    browser.goto(&format!(
        "{url}/#e={id}&c={}&lang=gd",
        hex::encode(e.credentials[0].to_seed())
    ));
    browser.wait_for("#c0-o0-rank");
    let keys = |css: &str, text: &str| type_into(&browser, css, text);
    let read_back = || {
        browser.script(
            "arguments[0]([...document.querySelectorAll('#c0-ranking li')].map(l => l.textContent.trim()))",
        )
    };
    // Isla, then Morag, then Fergus; Fergus moved up above Morag.
    keys("#c0-o2-rank", ENTER);
    keys("#c0-o0-rank", ENTER);
    keys("#c0-o3-rank", ENTER);
    keys("#c0-o3-up", ENTER);
    assert_eq!(
        read_back(),
        json!(["Isla Fraser", "Fergus Reid", "Morag Campbell"])
    );
    assert_eq!(browser.text("#c0-o3-preference").unwrap(), "roghainn 2");
    assert_eq!(browser.text("#c0-o1-preference").unwrap(), "gun rangachadh");
    // Three ranks, all used: the fourth option's button is off, and the counter says so.
    let disabled = browser.script("arguments[0](document.getElementById('c0-o1-rank').disabled)");
    assert_eq!(disabled, json!(true));
    assert!(browser
        .text("#c0-progress")
        .unwrap()
        .contains("3 de suas ri 3"));
    // Every button is reachable and named for its option (screen readers hear which).
    let label = browser
        .script("arguments[0](document.getElementById('c0-o0-remove').getAttribute('aria-label'))");
    assert_eq!(label, json!("Thoir air falbh: Morag Campbell"));
    assert_contrast(&browser, "a ranked contest");
    // Taken out and put back last: the rest move up.
    keys("#c0-o0-remove", ENTER);
    keys("#c0-o1-rank", ENTER);
    assert_eq!(
        read_back(),
        json!(["Isla Fraser", "Fergus Reid", "Euan MacLeod"])
    );

    // The review reads the ranking back, with the buttons off.
    keys("#next", ENTER);
    browser.wait_for("h2");
    assert_eq!(
        read_back(),
        json!(["Isla Fraser", "Fergus Reid", "Euan MacLeod"])
    );
    let off = browser.script(
        "arguments[0]([...document.querySelectorAll('.ranked-option button')].every(b => b.disabled))",
    );
    assert_eq!(off, json!(true));
    // Encrypt, then audit: the page opens the ciphertexts and shows the ranking they hold.
    keys("#next", ENTER);
    browser.wait_for("#tracking-code");
    browser.click("#audit");
    browser.wait_for("#opened");
    let opened = browser.text("#opened").unwrap();
    assert!(
        opened.contains("1. Isla Fraser, 2. Fergus Reid, 3. Euan MacLeod"),
        "{opened}"
    );

    // Both voters cast (as their devices would post), the trustees mix, decrypt and count
    // (§12.11): the observer view shows who was elected and the count sheet, in both languages.
    // The audited ballot is on the board.
    wait_for_size(&url, &id, setup + 1);
    let size = (setup + 1) as u64;
    let cast: Vec<protocol::ballot::Ballot> = [(0, vec![3, 1, 0]), (1, vec![2, 4, 1])]
        .into_iter()
        .map(|(v, ranking)| e.ballot_for(v, &[ranking], size, &mut OsRng))
        .collect();
    for b in &cast {
        let entry = SignedEntry {
            entry: Entry::Ballot(b.clone()),
            signature: None,
        };
        post(&url, &format!("/v1/elections/{id}/ballots"), &entry);
    }
    let counted: Vec<_> = cast.iter().map(|b| (b, 1)).collect();
    let closing = e.closing(&counted, &[1, 2], &mut OsRng);
    for entry in &closing {
        let kind = match entry.entry {
            Entry::Phase { .. } => "phase",
            Entry::EncryptedTally(_) => "tally",
            Entry::Mix(_) => "mixes",
            Entry::PartialDecryption(_) => "partial-decryptions",
            Entry::MixDecryption(_) => "mix-decryptions",
            Entry::RankedCount(_) => "ranked-counts",
            _ => "results",
        };
        post(&url, &format!("/v1/elections/{id}/{kind}"), entry);
    }
    wait_for_size(&url, &id, size as usize + 2 + closing.len());
    browser.goto(&format!("{url}/#e={id}&view=board&lang=gd"));
    browser.wait_for(".count-sheet");
    // Two papers, two seats: the quota is 1 and both first preferences are elected at stage 1,
    // equal totals in candidate order.
    assert_eq!(
        browser.text(".count-sheet .elected").unwrap(),
        "Air an taghadh: Euan MacLeod, Isla Fraser"
    );
    browser.click("button[lang=en]");
    assert_eq!(
        browser.text(".count-sheet .elected").unwrap(),
        "Elected: Euan MacLeod, Isla Fraser"
    );
    let sheet = browser.text(".count-sheet table").unwrap();
    assert!(
        sheet.contains("Stage 1") && sheet.contains("first preferences"),
        "{sheet}"
    );
    assert_contrast(&browser, "a ranked contest's count sheet");
}
