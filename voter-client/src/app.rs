//! The page: renders the [`Flow`] and runs its effects in the browser (fetches, encryption,
//! downloads). Everything it decides is in [`crate::flow`], [`crate::ballot`] and
//! [`crate::board`]; this file only wires them to the DOM.
use std::rc::Rc;

use protocol::ballot::BallotEncryption;
use protocol::manifest::ContestKind;
use protocol::record::Entry;
use protocol::voter::VoterElection;
use rand_core::OsRng;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, Request, RequestInit, Response};
use yew::prelude::*;
use zeroize::Zeroizing;

use crate::ballot::{Change, Progress};
use crate::board;
use crate::flow::{Effect, Flow, Screen, Step};
use crate::i18n::{self, text, Lang, Text};

/// Messages to the page.
pub enum Msg {
    /// The election was fetched and checked (or not).
    Opened(Result<Rc<VoterElection>, String>),
    /// A step of the flow.
    Flow(Step),
    /// The voter typed in the voting code field.
    CodeInput(String),
    /// The voter submitted the voting code.
    SubmitCode,
    /// The language switch.
    SetLang(Lang),
    /// The page's code hash, computed.
    PageHash(String),
    /// The observer view's data, fetched and checked.
    BoardLoaded(Result<board::BoardView, String>),
    /// The tracking code field.
    TrackInput(String),
    /// Look the tracking code up.
    TrackSubmit,
    /// The entry index holding the tracking code, or why not.
    Tracked(Result<u64, String>),
    /// Whether voting is over, from the board's status.
    Closed(bool),
}

/// Which of the page's three views the link asks for (`view=` in the fragment).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Vote,
    Board,
    Track,
}

/// The page.
pub struct App {
    flow: Flow,
    lang: Lang,
    id_hex: String,
    election: Option<Rc<VoterElection>>,
    code: Zeroizing<String>,
    page_hash: Option<String>,
    receipt_url: Option<String>,
    mode: Mode,
    board_view: Option<Result<board::BoardView, String>>,
    track_input: String,
    tracked: Option<Result<u64, String>>,
    /// Voting is over: the page says so instead of asking for a voting code.
    closed: bool,
}

/// `key=value` pairs of the link's fragment (`#e=<election id>&c=<voting code>`): a fragment
/// is never sent to the server.
fn fragment() -> Vec<(String, String)> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    hash.trim_start_matches('#')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// What came back from one request: the board's answer (status, `Retry-After` seconds, text),
/// or no answer at all.
enum Sent {
    Answer(u16, Option<u32>, String),
    Lost(String),
}

async fn send(method: &str, url: &str, body: Option<&str>) -> Sent {
    let attempt = async {
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(b) = body {
            init.set_body(&JsValue::from_str(b));
        }
        let request = Request::new_with_str_and_init(url, &init).map_err(|e| format!("{e:?}"))?;
        if body.is_some() {
            request
                .headers()
                .set("content-type", "application/json")
                .map_err(|e| format!("{e:?}"))?;
        }
        let window = web_sys::window().ok_or("no window")?;
        let response: Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|e| format!("{e:?}"))?
            .dyn_into()
            .map_err(|e| format!("{e:?}"))?;
        let retry_after = response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok());
        let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?)
            .await
            .map_err(|e| format!("{e:?}"))?
            .as_string()
            .unwrap_or_default();
        Ok::<_, String>((response.status(), retry_after, text))
    };
    match attempt.await {
        Ok((status, retry_after, text)) => Sent::Answer(status, retry_after, text),
        Err(e) => Sent::Lost(e),
    }
}

async fn fetch(method: &str, url: &str, body: Option<String>) -> Result<String, String> {
    match send(method, url, body.as_deref()).await {
        Sent::Answer(status, _, text) if (200..300).contains(&status) => Ok(text),
        Sent::Answer(_, _, text) => Err(board::error_message(&text)),
        Sent::Lost(e) => Err(e),
    }
}

/// Posts a ballot or audited ballot, posting the same bytes again while the board asks the page
/// to come back or does not answer ([`board::retry_delay_ms`]).
async fn post_voter_entry(url: &str, body: String) -> Result<String, String> {
    let mut attempt = 0;
    loop {
        let (status, retry_after, error) = match send("POST", url, Some(&body)).await {
            Sent::Answer(status, _, text) if (200..300).contains(&status) => return Ok(text),
            Sent::Answer(status, retry_after, text) => {
                (Some(status), retry_after, board::error_message(&text))
            }
            Sent::Lost(e) => (None, None, e),
        };
        match board::retry_delay_ms(attempt, status, retry_after) {
            Some(ms) => sleep_ms(ms.min(i32::MAX as u32) as i32).await,
            None => return Err(error),
        }
        attempt += 1;
    }
}

/// The longest the page computes without letting the browser paint (about one frame).
const ENCRYPTION_SLICE_MS: f64 = 12.0;

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Lets the browser paint before a long computation.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// §13.5 steps 2–3: waits (up to a minute) for a checkpoint that covers the receipt (with
/// witnesses in the manifest, one `k` of them cosigned: §13.9), then checks the inclusion proof
/// under it. `Ok(None)`: none covered it in time.
async fn prove_inclusion(
    id: &str,
    election: &VoterElection,
    receipt: &protocol::record::Receipt,
) -> Result<Option<board::Provable>, String> {
    for _ in 0..120 {
        let cp = fetch("GET", &format!("/v1/elections/{id}/checkpoint"), None).await?;
        if let Some(provable) = board::provable_checkpoint(election, &cp)? {
            if provable.size > receipt.index {
                let url = format!(
                    "/v1/elections/{id}/proofs/inclusion?index={}&size={}",
                    receipt.index, provable.size
                );
                let proof = fetch("GET", &url, None).await?;
                return board::check_inclusion(election, receipt, &cp, &proof).map(Some);
            }
        }
        sleep_ms(500).await;
    }
    Ok(None)
}

/// SHA-256 of the WebAssembly the loader instantiated (it leaves the bytes in
/// `window.thistleWasm`).
fn page_hash() -> Option<String> {
    use sha2::{Digest, Sha256};
    let window = web_sys::window()?;
    let bytes = js_sys::Reflect::get(&window, &JsValue::from_str("thistleWasm")).ok()?;
    let bytes: js_sys::Uint8Array = bytes.dyn_into().ok()?;
    Some(hex::encode(Sha256::digest(bytes.to_vec())))
}

impl App {
    fn run(&mut self, ctx: &Context<Self>, effect: Effect) {
        let id = self.id_hex.clone();
        let Some(election) = self.election.clone() else {
            return;
        };
        match effect {
            Effect::None => {}
            Effect::LookUpCredential(key) => ctx.link().send_future(async move {
                match fetch(
                    "GET",
                    &format!("/v1/elections/{id}/credentials/{key}"),
                    None,
                )
                .await
                {
                    Ok(body) => match serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["weight"].as_u64())
                    {
                        Some(w) => Msg::Flow(Step::CredentialListed(w)),
                        None => Msg::Flow(Step::Failed(body)),
                    },
                    Err(e) => Msg::Flow(Step::Failed(e)),
                }
            }),
            Effect::Encrypt(values) => {
                let (Some(credential), Some(weight)) = (
                    self.flow.credential().map(|c| c.public_key()),
                    self.flow.weight(),
                ) else {
                    return;
                };
                let link = ctx.link().clone();
                ctx.link().send_future(async move {
                    let url = format!("/v1/elections/{id}/checkpoint");
                    let board_size = match fetch("GET", &url, None)
                        .await
                        .and_then(|cp| board::signed_checkpoint_size(&election, &cp))
                    {
                        Ok(size) => size,
                        Err(e) => return Msg::Flow(Step::Failed(e)),
                    };
                    let mut work = match BallotEncryption::new(
                        &election.ballots,
                        &credential,
                        weight,
                        board_size,
                        &values,
                    ) {
                        Ok(work) => work,
                        Err(e) => return Msg::Flow(Step::Failed(e.to_string())),
                    };
                    // Time-sliced: steps run until a slice is used up, then the page reports
                    // progress and lets the browser paint and take input.
                    let total = work.steps_total();
                    link.send_message(Msg::Flow(Step::EncryptionProgress { done: 0, total }));
                    yield_to_browser().await;
                    let mut slice_start = now_ms();
                    while !work.is_done() {
                        if let Err(e) = work.step(&mut OsRng) {
                            return Msg::Flow(Step::Failed(e.to_string()));
                        }
                        if now_ms() - slice_start >= ENCRYPTION_SLICE_MS && !work.is_done() {
                            let done = work.steps_done();
                            link.send_message(Msg::Flow(Step::EncryptionProgress { done, total }));
                            yield_to_browser().await;
                            slice_start = now_ms();
                        }
                    }
                    match work.finish() {
                        Some((ballot, secrets)) => {
                            Msg::Flow(Step::Encrypted(Box::new(ballot), secrets))
                        }
                        None => Msg::Flow(Step::Failed("encryption stopped early".into())),
                    }
                })
            }
            Effect::PostBallot => {
                let ballot = match self.flow.cast_ballot() {
                    Some(Ok(ballot)) => ballot,
                    Some(Err(e)) => {
                        return ctx
                            .link()
                            .send_message(Msg::Flow(Step::Failed(e.to_string())))
                    }
                    None => return,
                };
                let entry = board::voter_entry(Entry::Ballot(ballot));
                let link = ctx.link().clone();
                ctx.link().send_future(async move {
                    let url = format!("/v1/elections/{id}/ballots");
                    let json = match post_voter_entry(&url, entry.post_body()).await {
                        Ok(json) => json,
                        Err(e) => return Msg::Flow(Step::Failed(e)),
                    };
                    let (receipt, signature) = match board::check_receipt(&json, &election, &entry)
                    {
                        Ok(r) => r,
                        Err(e) => return Msg::Flow(Step::Failed(e)),
                    };
                    let file = board::receipt_file(&election, &receipt, &signature);
                    link.send_message(Msg::Flow(Step::Receipted(file)));
                    match prove_inclusion(&id, &election, &receipt).await {
                        Ok(Some(provable)) => Msg::Flow(Step::Included(provable)),
                        Ok(None) => Msg::Flow(Step::Unwitnessed),
                        Err(e) => Msg::Flow(Step::Failed(e)),
                    }
                })
            }
            Effect::PostAudit => {
                let audited = match self.flow.audit_ballot() {
                    Some(Ok(audited)) => audited,
                    Some(Err(e)) => {
                        return ctx
                            .link()
                            .send_message(Msg::Flow(Step::Failed(e.to_string())))
                    }
                    None => return,
                };
                let key = protocol::elgamal::ElectionPublicKey::new(election.key);
                let opened = audited.check_openings(&key);
                let entry = board::voter_entry(Entry::AuditedBallot(audited));
                ctx.link().send_future(async move {
                    let url = format!("/v1/elections/{id}/audited-ballots");
                    let posted = post_voter_entry(&url, entry.post_body()).await;
                    match (posted, opened) {
                        (Ok(receipt), Ok(values)) => {
                            match board::check_receipt(&receipt, &election, &entry) {
                                Ok(_) => Msg::Flow(Step::AuditPosted(values)),
                                Err(e) => Msg::Flow(Step::Failed(e)),
                            }
                        }
                        (Err(e), _) => Msg::Flow(Step::Failed(e)),
                        (_, Err(e)) => Msg::Flow(Step::Failed(e.to_string())),
                    }
                })
            }
        }
    }

    fn receipt_download(&mut self) {
        let Some(receipt) = self.flow.receipt() else {
            return;
        };
        let parts = js_sys::Array::of1(&JsValue::from_str(receipt));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/json");
        if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) {
            self.receipt_url = web_sys::Url::create_object_url_with_blob(&blob).ok();
        }
    }

    /// A ranked contest: buttons on every option (never drag only: keyboard and touch alike),
    /// and the ranking read back in order, on the ballot and on the review screen.
    fn view_ranked(&self, ctx: &Context<Self>, c: usize, ranks: u32) -> Html {
        let contest = &self.flow.contests()[c];
        let state = self.flow.ballot().contest(c);
        let lang = self.lang;
        let editable = self.flow.screen() == Screen::Ballot;
        let ranking = state.ranking();
        let words = |r: i18n::Ranking| i18n::ranking(lang, r);
        let button = |r: i18n::Ranking, change: Change, disabled: bool, title: &str, id: String| {
            let onclick = ctx
                .link()
                .callback(move |_| Msg::Flow(Step::Change(c, change)));
            let label = words(r);
            html! { <button type="button" {id} {onclick} disabled={disabled || !editable}
            aria-label={format!("{label}: {title}")}>{ label }</button> }
        };
        let options = contest.options.iter().enumerate().map(|(i, option)| {
            let preference = state.preference_of(i);
            let status = match preference {
                Some(p) => i18n::preference(lang, p),
                None => words(i18n::Ranking::NotRanked),
            };
            let controls = match preference {
                None => button(
                    i18n::Ranking::RankNext,
                    Change::Rank(i),
                    ranking.len() >= ranks as usize,
                    &option.title,
                    format!("c{c}-o{i}-rank"),
                ),
                Some(p) => html! {
                    <>
                        { button(i18n::Ranking::Earlier, Change::Earlier(i), p == 1, &option.title, format!("c{c}-o{i}-up")) }
                        { button(i18n::Ranking::Later, Change::Later(i), p as usize == ranking.len(), &option.title, format!("c{c}-o{i}-down")) }
                        { button(i18n::Ranking::Remove, Change::Unrank(i), false, &option.title, format!("c{c}-o{i}-remove")) }
                    </>
                },
            };
            html! {
                <li class="option ranked-option">
                    <span class="option-title">{ &option.title }</span>
                    { " " }<span class="preference" id={format!("c{c}-o{i}-preference")}>{ status }</span>
                    { " " }{ controls }
                </li>
            }
        });
        let progress_id = format!("c{c}-progress");
        let refusal =
            self.flow.refusal().filter(|(rc, _)| *rc == c).map(
                |(_, r)| html! { <p class="refusal" role="alert">{ i18n::refusal(lang, r) }</p> },
            );
        let read_back = if ranking.is_empty() {
            html! { <p id={format!("c{c}-ranking")}>{ words(i18n::Ranking::NothingRanked) }</p> }
        } else {
            html! {
                <ol class="ranking" id={format!("c{c}-ranking")}>
                    { for ranking.iter().map(|&o| html! { <li>{ &contest.options[o].title }</li> }) }
                </ol>
            }
        };
        html! {
            <fieldset class="contest ranked" aria-describedby={progress_id.clone()}>
                <legend>{ &contest.title }</legend>
                <p id={progress_id} class="progress" aria-live="polite">{ i18n::progress(lang, state.progress()) }</p>
                <ul class="options">{ for options }</ul>
                <p class="help">{ words(i18n::Ranking::YourRanking) }</p>
                <div aria-live="polite">{ read_back }</div>
                { for refusal }
            </fieldset>
        }
    }

    fn view_contest(&self, ctx: &Context<Self>, c: usize) -> Html {
        let contest = &self.flow.contests()[c];
        if let ContestKind::Ranked { ranks, .. } = contest.kind {
            return self.view_ranked(ctx, c, ranks);
        }
        let state = self.flow.ballot().contest(c);
        let lang = self.lang;
        let editable = self.flow.screen() == Screen::Ballot;
        let options = contest.options.iter().enumerate().map(|(i, option)| {
            let value = state.values()[i];
            let id = format!("c{c}-o{i}");
            let control = match &contest.kind {
                ContestKind::Score { .. } | ContestKind::Cumulative { .. } => {
                    let onchange = ctx.link().callback(move |e: Event| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        let v = input.value().parse().unwrap_or(u64::MAX);
                        Msg::Flow(Step::Change(c, Change::Set(i, v)))
                    });
                    html! { <input type="number" id={id.clone()} min="0" max={contest.option_max().to_string()}
                        value={value.to_string()} disabled={!editable} {onchange} /> }
                }
                ContestKind::Choose { max: 1, .. } => {
                    let onchange = ctx
                        .link()
                        .callback(move |_| Msg::Flow(Step::Change(c, Change::Toggle(i))));
                    html! { <input type="radio" id={id.clone()} name={format!("c{c}")}
                    checked={value == 1} disabled={!editable} {onchange} /> }
                }
                _ => {
                    let onchange = ctx
                        .link()
                        .callback(move |_| Msg::Flow(Step::Change(c, Change::Toggle(i))));
                    html! { <input type="checkbox" id={id.clone()}
                    checked={value == 1} disabled={!editable} {onchange} /> }
                }
            };
            let cost = match &contest.kind {
                ContestKind::Budget { costs, .. } => format!(" ({})", costs[i]),
                _ => String::new(),
            };
            html! {
                <li class="option">
                    { control }
                    <label for={id}>{ format!("{}{cost}", option.title) }</label>
                </li>
            }
        });
        let progress_id = format!("c{c}-progress");
        let refusal =
            self.flow.refusal().filter(|(rc, _)| *rc == c).map(
                |(_, r)| html! { <p class="refusal" role="alert">{ i18n::refusal(lang, r) }</p> },
            );
        let complete =
            !matches!(state.progress(), Progress::Choose { chosen, min, .. } if chosen < min);
        html! {
            <fieldset class={classes!("contest", (!complete).then_some("incomplete"))} aria-describedby={progress_id.clone()}>
                <legend>{ &contest.title }</legend>
                <p id={progress_id} class="progress" aria-live="polite">{ i18n::progress(lang, state.progress()) }</p>
                <ul class="options">{ for options }</ul>
                { for refusal }
            </fieldset>
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let pairs = fragment();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let id_hex = get("e").unwrap_or_default();
        let lang = match get("lang").as_deref() {
            Some("gd") => Lang::Gd,
            _ => Lang::En,
        };
        let code = Zeroizing::new(get("c").unwrap_or_default());
        if let Some(w) = web_sys::window() {
            // The voting code must not stay in the address bar or the history.
            if !code.is_empty() {
                if let Ok(history) = w.history() {
                    let _ = history.replace_state_with_url(
                        &JsValue::NULL,
                        "",
                        Some(&format!("#e={id_hex}")),
                    );
                }
            }
        }
        let mode = match get("view").as_deref() {
            Some("board") => Mode::Board,
            Some("track") => Mode::Track,
            _ => Mode::Vote,
        };
        let id = id_hex.clone();
        if mode == Mode::Board {
            ctx.link().send_future(async move {
                let loaded = async {
                    let election_id =
                        board::election_id(&id).ok_or("the link has no election id")?;
                    let status = fetch("GET", &format!("/v1/elections/{id}"), None).await?;
                    let first =
                        fetch("GET", &format!("/v1/elections/{id}/entries/0"), None).await?;
                    let published = serde_json::from_str::<serde_json::Value>(&status)
                        .ok()
                        .filter(|v| v["phase"] == "ResultsPublished")
                        .and_then(|v| v["checkpoint"]["size"].as_u64());
                    let results = match published {
                        Some(size) => {
                            let tail = board::tally_tail_len(&first)?.min(size);
                            Some(
                                fetch(
                                    "GET",
                                    &format!(
                                        "/v1/elections/{id}/entries?start={}&end={size}",
                                        size - tail
                                    ),
                                    None,
                                )
                                .await?,
                            )
                        }
                        None => None,
                    };
                    board::board_view(&election_id, &status, &first, results.as_deref())
                };
                Msg::BoardLoaded(loaded.await)
            });
        }
        if mode == Mode::Vote {
            let id = id_hex.clone();
            ctx.link().send_future(async move {
                let now = (js_sys::Date::now() / 1000.0) as u64;
                let status = fetch("GET", &format!("/v1/elections/{id}"), None).await;
                Msg::Closed(status.is_ok_and(|s| board::voting_closed(&s, now)))
            });
        }
        let id = id_hex.clone();
        ctx.link().send_future(async move {
            let Some(election_id) = board::election_id(&id) else {
                return Msg::Opened(Err("the link has no election id (#e=...)".into()));
            };
            match fetch("GET", &format!("/v1/elections/{id}/voting"), None).await {
                Ok(body) => Msg::Opened(board::open_election(&election_id, &body).map(Rc::new)),
                Err(e) => Msg::Opened(Err(e)),
            }
        });
        ctx.link()
            .send_message(Msg::PageHash(page_hash().unwrap_or_default()));
        App {
            flow: Flow::default(),
            lang,
            id_hex,
            election: None,
            code,
            page_hash: None,
            receipt_url: None,
            mode,
            board_view: None,
            track_input: String::new(),
            tracked: None,
            closed: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let effect = match msg {
            Msg::Opened(Ok(election)) => {
                let contests = election.manifest.contests.clone();
                self.election = Some(election);
                let effect = self.flow.step(Step::Opened(contests));
                if !self.code.is_empty() {
                    let code = std::mem::take(&mut self.code);
                    self.flow.step(Step::EnterCredential(code))
                } else {
                    effect
                }
            }
            Msg::Opened(Err(why)) => {
                self.code = Zeroizing::new(String::new());
                self.flow.step(Step::Failed(why))
            }
            Msg::Flow(step) => {
                let effect = self.flow.step(step);
                if self.flow.screen() == Screen::Cast && self.receipt_url.is_none() {
                    self.receipt_download();
                }
                effect
            }
            Msg::CodeInput(code) => {
                self.code = Zeroizing::new(code);
                return false;
            }
            Msg::SubmitCode => {
                let code = std::mem::take(&mut self.code);
                self.flow.step(Step::EnterCredential(code))
            }
            Msg::SetLang(lang) => {
                self.lang = lang;
                if let Some(root) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                {
                    let _ = root.set_attribute("lang", lang.tag());
                }
                Effect::None
            }
            Msg::PageHash(hash) => {
                self.page_hash = Some(hash);
                Effect::None
            }
            Msg::BoardLoaded(view) => {
                self.board_view = Some(view);
                Effect::None
            }
            Msg::TrackInput(code) => {
                self.track_input = code;
                return false;
            }
            Msg::TrackSubmit => {
                // Short form or full: the board reads either; spaces a voter types are dropped.
                let code: String = self
                    .track_input
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                let id = self.id_hex.clone();
                ctx.link().send_future(async move {
                    let found = fetch("GET", &format!("/v1/elections/{id}/tracking/{code}"), None)
                        .await
                        .and_then(|body| {
                            serde_json::from_str::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|v| v["index"].as_u64())
                                .ok_or(body)
                        });
                    Msg::Tracked(found)
                });
                Effect::None
            }
            Msg::Tracked(found) => {
                self.tracked = Some(found);
                Effect::None
            }
            Msg::Closed(closed) => {
                self.closed = closed;
                Effect::None
            }
        };
        self.run(ctx, effect);
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let lang = self.lang;
        let t = |x: Text| text(lang, x);
        let switch = html! {
            <nav class="languages" aria-label={t(Text::Language)}>
                { for Lang::ALL.iter().map(|&l| {
                    let onclick = ctx.link().callback(move |_| Msg::SetLang(l));
                    html! { <button lang={l.tag()} aria-pressed={(l == lang).to_string()} {onclick}>{ l.name() }</button> }
                }) }
            </nav>
        };
        let id = self.id_hex.clone();
        let link = |mode: &'static str, label: Text| {
            let href = match mode {
                "" => format!("#e={id}"),
                m => format!("#e={id}&view={m}"),
            };
            let target = href.clone();
            let onclick = Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_hash(&target);
                    let _ = w.location().reload();
                }
            });
            html! { <a href={href} {onclick}>{ t(label) }</a> }
        };
        let views = html! {
            <nav class="views" aria-label={t(Text::Election)}>
                { link("", Text::Vote) }
                { link("track", Text::CheckCode) }
                { link("board", Text::Board) }
            </nav>
        };
        if self.mode != Mode::Vote {
            let body = if self.mode == Mode::Board {
                self.view_board(lang)
            } else {
                self.view_track(ctx, lang)
            };
            return html! {
                <>
                    { switch }
                    { views }
                    <main>{ body }</main>
                </>
            };
        }
        let header = match &self.election {
            Some(e) => html! {
                <header>
                    <h1>{ &e.manifest.title }</h1>
                    <dl class="election">
                        <dt>{ t(Text::Opens) }</dt><dd>{ date(e.manifest.opens_at) }</dd>
                        <dt>{ t(Text::Closes) }</dt>
                        <dd>{ if self.closed { t(Text::Closed) } else { date(e.manifest.closes_at) } }</dd>
                        <dt>{ t(Text::Fingerprint) }</dt><dd><code class="fingerprint">{ hex::encode(e.fingerprint) }</code></dd>
                    </dl>
                    <p class="help">{ t(Text::FingerprintHelp) }</p>
                </header>
            },
            None => html! { <header><h1>{ t(Text::Election) }</h1></header> },
        };
        let problem = self.flow.problem().map(|p| {
            html! { <p class="problem" role="alert">{ format!("{}{p}", t(Text::BoardError)) }</p> }
        });
        let body = match self.flow.screen() {
            Screen::Opening => html! { <p aria-busy="true">{ "…" }</p> },
            Screen::Failed => html! {},
            Screen::Credential if self.closed => html! {
                <section id="voting-closed" role="status">
                    <h2>{ t(Text::VotingClosed) }</h2>
                    <p>{ t(Text::VotingClosedNext) }</p>
                    <p class="next">{ link("board", Text::Results) }{ " · " }{ link("track", Text::CheckCode) }</p>
                </section>
            },
            Screen::Credential => {
                let oninput = ctx.link().callback(|e: InputEvent| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    Msg::CodeInput(input.value())
                });
                let onsubmit = ctx.link().callback(|e: SubmitEvent| {
                    e.prevent_default();
                    Msg::SubmitCode
                });
                let malformed = self.flow.credential_malformed().then(|| {
                    html! { <p id="code-error" class="problem" role="alert">{ t(Text::CredentialMalformed) }</p> }
                });
                html! {
                    <form class="credential" {onsubmit}>
                        <label for="code">{ t(Text::Credential) }</label>
                        <input id="code" type="password" autocomplete="off" spellcheck="false"
                            aria-describedby="code-help" {oninput} />
                        <p id="code-help" class="help">{ t(Text::CredentialHelp) }</p>
                        { for malformed }
                        <button type="submit">{ t(Text::Continue) }</button>
                    </form>
                }
            }
            Screen::Ballot | Screen::Review => {
                let review = self.flow.screen() == Screen::Review;
                let contests = (0..self.flow.contests().len()).map(|c| self.view_contest(ctx, c));
                let back = ctx.link().callback(|_| Msg::Flow(Step::Back));
                let next = if review {
                    ctx.link().callback(|_| Msg::Flow(Step::Encrypt))
                } else {
                    ctx.link().callback(|_| Msg::Flow(Step::Review))
                };
                let incomplete = (!review && self.flow.ballot().selection().is_none())
                    .then(|| html! { <p class="help">{ t(Text::Incomplete) }</p> });
                html! {
                    <section class="ballot">
                        { if review { html! { <h2>{ t(Text::Review) }</h2> } } else { html! {} } }
                        { for contests }
                        { for incomplete }
                        <div class="actions">
                            <button onclick={back}>{ t(Text::Back) }</button>
                            <button id="next" class="primary" onclick={next}>{ t(if review { Text::Encrypt } else { Text::Review }) }</button>
                        </div>
                    </section>
                }
            }
            Screen::Encrypting => {
                // Indeterminate until the first report, then steps done of the total.
                let bar = match self.flow.encryption_progress() {
                    Some((done, total)) => html! {
                        <progress id="encrypt-progress" value={done.to_string()} max={total.to_string()}></progress>
                    },
                    None => html! { <progress id="encrypt-progress"></progress> },
                };
                html! {
                    <p role="status" aria-busy="true"><label for="encrypt-progress">{ t(Text::Encrypting) }</label>{ bar }</p>
                }
            }
            Screen::Posting => html! {
                <p role="status" aria-busy="true"><progress aria-label={t(Text::Sending)}></progress>{ t(Text::Sending) }</p>
            },
            Screen::Encrypted => {
                let code = self
                    .flow
                    .encrypted()
                    .map(|b| b.tracking_code().short())
                    .unwrap_or_default();
                let cast = ctx.link().callback(|_| Msg::Flow(Step::Cast));
                let audit = ctx.link().callback(|_| Msg::Flow(Step::Audit));
                html! {
                    <section class="encrypted">
                        <h2>{ t(Text::TrackingCode) }</h2>
                        <p><code id="tracking-code" class="tracking">{ code }</code></p>
                        <p class="help">{ t(Text::TrackingCodeHelp) }</p>
                        <div class="actions">
                            <button id="cast" class="primary" onclick={cast}>{ t(Text::Cast) }</button>
                            <button id="audit" onclick={audit}>{ t(Text::Audit) }</button>
                        </div>
                        <p class="help">{ t(Text::AuditHelp) }</p>
                    </section>
                }
            }
            Screen::Cast => {
                // The receipt file holds only values the device checked or computed.
                let index = self
                    .flow
                    .receipt()
                    .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                    .and_then(|v| v["tracking_code_short"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                html! {
                    <section class="cast" role="status">
                        <h2>{ t(Text::OnTheBoard) }</h2>
                        <p>{ t(Text::TrackingCode) }{ ": " }<code id="cast-code" class="tracking">{ index }</code></p>
                        if let Some(p) = self.flow.included() {
                            <p id="included">{ match &p.witnesses {
                                None => t(Text::Included { size: p.size }),
                                Some(names) => format!("{} {}", t(Text::Witnessed { size: p.size }), names.join(", ")),
                            } }</p>
                            <p class="help">{ t(Text::Checkpoint) }{ ": " }<code id="included-root">{ &p.root }</code></p>
                        }
                        if self.flow.unwitnessed() {
                            <p id="not-witnessed" class="problem" role="alert">{ t(Text::NotWitnessed) }</p>
                        }
                        if let Some(url) = &self.receipt_url {
                            <a id="receipt" href={url.clone()} download="thistle-receipt.json">{ t(Text::DownloadReceipt) }</a>
                        }
                    </section>
                }
            }
            Screen::Audited => {
                let again = ctx.link().callback(|_| Msg::Flow(Step::StartAgain));
                let values = self.flow.opened_values().unwrap_or_default();
                let rows = self.flow.contests().iter().zip(values).map(|(c, vs)| {
                    let chosen: Vec<String> = if c.is_ranked() {
                        // One value per rank position: the option ranked there.
                        vs.iter()
                            .take_while(|&&v| v != 0)
                            .enumerate()
                            .filter_map(|(p, &v)| {
                                let o = c.options.get(v as usize - 1)?;
                                Some(format!("{}. {}", p + 1, o.title))
                            })
                            .collect()
                    } else {
                        c.options
                            .iter()
                            .zip(vs)
                            .filter(|(_, v)| **v > 0)
                            .map(|(o, v)| {
                                if c.option_max() > 1 {
                                    format!("{} ({v})", o.title)
                                } else {
                                    o.title.clone()
                                }
                            })
                            .collect()
                    };
                    html! { <li><strong>{ &c.title }</strong>{ ": " }{ chosen.join(", ") }</li> }
                });
                html! {
                    <section class="audited" role="status">
                        <p>{ t(Text::AuditDone) }</p>
                        <ul id="opened">{ for rows }</ul>
                        <p class="help">{ t(Text::AuditElsewhere) }</p>
                        <pre id="audit-command"><code>{ format!(
                            "thistle-verify verify-ballot --board {} --election {} --code {}",
                            web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
                            self.id_hex,
                            self.flow.audited_code().unwrap_or_default()
                        ) }</code></pre>
                        <button id="again" class="primary" onclick={again}>{ t(Text::StartAgain) }</button>
                    </section>
                }
            }
        };
        let hash = self.page_hash.clone().filter(|h| !h.is_empty()).map(|h| html! {
            <p class="page-hash">{ t(Text::PageHash) }{ ": " }<code id="page-hash">{ h }</code></p>
        });
        html! {
            <>
                { switch }
                { views }
                <main>
                    { header }
                    { for problem }
                    { body }
                </main>
                <footer>{ for hash }</footer>
            </>
        }
    }
}

/// A ranked contest's count sheet: who was elected, then a table of every candidate's votes at
/// the end of each stage, each stage headed by what it did.
fn view_count(lang: Lang, title: &str, count: &board::RankedView) -> Html {
    use i18n::Ranking as R;
    let w = |r: R| i18n::ranking(lang, r);
    let units = protocol::stv::units;
    let heads = count.stages.iter().enumerate().map(|(i, s)| {
        let action = match &s.action {
            board::StageAction::FirstPreferences => w(R::FirstPreferences),
            board::StageAction::Surplus(who, surplus) => {
                format!("{} {who} ({})", w(R::SurplusOf), units(*surplus))
            }
            board::StageAction::Exclusion(who) => format!("{} {who}", w(R::ExclusionOf)),
        };
        let lot = s.lot.as_ref().map(|who| format!(" ({}: {who})", w(R::ByLot)));
        html! { <th scope="col">{ format!("{} {}", w(R::Stage), i + 1) }<br/>{ action }{ for lot }</th> }
    });
    let rows = count.candidates.iter().enumerate().map(|(c, name)| {
        let cells = count.stages.iter().map(|s| {
            let elected = s.elected.contains(name);
            html! {
                <td class={if elected { "total elected" } else { "total" }}>
                    { units(s.votes.get(c).copied().unwrap_or(0)) }
                    if elected { <span class="mark">{ format!(" {}", w(R::ElectedMark)) }</span> }
                </td>
            }
        });
        html! { <tr><th scope="row">{ name }</th>{ for cells }</tr> }
    });
    let transferable = count
        .stages
        .iter()
        .map(|s| html! { <td class="total">{ units(s.non_transferable) }</td> });
    html! {
        <div class="results ranked count-sheet">
            <h3>{ title }</h3>
            <p class="elected">{ format!("{}: {}", w(R::Elected), count.elected.join(", ")) }</p>
            <p class="help">{ format!(
                "{}: {} · {}: {}{}",
                w(R::Papers), count.papers, w(R::ValidPapers), count.valid,
                count.quota.map_or(String::new(), |q| format!(" · {}: {}", w(R::Quota), units(q)))
            ) }</p>
            <div class="scroll">
                <table class="results stages">
                    <caption>{ w(R::CountSheet) }</caption>
                    <thead><tr><td></td>{ for heads }</tr></thead>
                    <tbody>
                        { for rows }
                        <tr><th scope="row">{ w(R::NonTransferable) }</th>{ for transferable }</tr>
                    </tbody>
                </table>
            </div>
        </div>
    }
}

impl App {
    fn view_board(&self, lang: Lang) -> Html {
        let t = |x: Text| text(lang, x);
        let view = match &self.board_view {
            None => return html! { <p aria-busy="true">{ "…" }</p> },
            Some(Err(e)) => {
                return html! { <p class="problem" role="alert">{ format!("{}{e}", t(Text::BoardError)) }</p> }
            }
            Some(Ok(v)) => v,
        };
        let results = view.results.as_ref().map(|contests| {
            let charts = contests.iter().map(|contest| {
                let rows = &contest.rows;
                let most = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
                let sum: u64 = rows.iter().map(|r| r.1).sum();
                let bars = rows.iter().enumerate().map(|(i, (option, total))| {
                    let width = format!("width: {}%", total * 100 / most);
                    let funded = contest.funded.as_ref().and_then(|f| f.get(i).copied());
                    html! {
                        <tr>
                            <th scope="row">{ option }</th>
                            <td class="total">{ total }</td>
                            <td class="share">{ board::percent(*total, sum) }</td>
                            if let Some(funded) = funded {
                                <td class={if funded { "funded" } else { "not-funded" }}>
                                    { t(if funded { Text::Funded } else { Text::NotFunded }) }
                                </td>
                            }
                            <td class="bar-cell" aria-hidden="true"><div class="bar" style={width}></div></td>
                        </tr>
                    }
                });
                if let Some(count) = &contest.ranked {
                    return view_count(lang, &contest.title, count);
                }
                if contest.rows.is_empty() {
                    return html! {
                        <div class="results ranked">
                            <h3>{ &contest.title }</h3>
                            <p class="help">{ i18n::ranking(lang, i18n::Ranking::CountedAfterMixing) }</p>
                        </div>
                    };
                }
                html! {
                    <>
                        <table class="results">
                            <caption>{ &contest.title }</caption>
                            <tbody>{ for bars }</tbody>
                        </table>
                        if contest.funded.is_some() {
                            <p class="help funded-help">{ t(Text::FundedHelp) }</p>
                        }
                    </>
                }
            });
            html! { <section id="results"><h2>{ t(Text::Results) }</h2>{ for charts }</section> }
        });
        html! {
            <section class="board">
                <h1>{ &view.title }</h1>
                <dl class="election">
                    <dt>{ t(Text::Phase) }</dt>
                    <dd id="phase">{ protocol::record::Phase::named(&view.phase).map_or_else(|| view.phase.clone(), |p| t(Text::Stage(p))) }</dd>
                    if let Some((size, root)) = &view.checkpoint {
                        <dt>{ t(Text::Checkpoint) }</dt>
                        <dd><span id="checkpoint-size">{ size }</span>{ " · " }<code>{ root }</code></dd>
                    }
                </dl>
                if let Some((cast, audited)) = view.counts {
                    <p id="counts">{ t(Text::Counts { cast, audited }) }</p>
                }
                if let Some((counted, listed)) = view.turnout {
                    <p id="turnout">{ t(Text::Turnout { counted, listed }) }</p>
                }
                { for results }
                <section id="witnesses">
                    <h2>{ t(Text::Witnesses) }</h2>
                    if view.witnesses.is_empty() {
                        <p id="no-witnesses">{ t(Text::NoWitnesses) }</p>
                    } else {
                        <p id="witnessed">{ match view.witnessed {
                            Some(size) => t(Text::WitnessedUpTo { size }),
                            None => t(Text::NothingWitnessed),
                        } }</p>
                        <ul>
                            { for view.witnesses.iter().map(|w| html! {
                                <li class="witness">
                                    <a href={w.url.clone()}>{ &w.name }</a>{ " " }
                                    { match w.cosigned_at {
                                        Some(at) => format!("{} {}", t(Text::CosignedAt), date(at)),
                                        None => t(Text::NotCosigned),
                                    } }
                                </li>
                            }) }
                        </ul>
                    }
                </section>
                <p class="help">{ t(Text::VerifyHelp) }</p>
                <pre><code id="verify-command">{ board::verify_command(&page_origin(), &self.id_hex) }</code></pre>
            </section>
        }
    }

    fn view_track(&self, ctx: &Context<Self>, lang: Lang) -> Html {
        let t = |x: Text| text(lang, x);
        let oninput = ctx.link().callback(|e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Msg::TrackInput(input.value())
        });
        let onsubmit = ctx.link().callback(|e: SubmitEvent| {
            e.prevent_default();
            Msg::TrackSubmit
        });
        let answer = self.tracked.as_ref().map(|found| match found {
            Ok(index) => html! { <p id="tracked" role="status">{ t(Text::TrackFound { index: *index }) }</p> },
            Err(e) => html! { <p id="tracked" class="problem" role="alert">{ format!("{}{e}", t(Text::BoardError)) }</p> },
        });
        html! {
            <form class="credential" {onsubmit}>
                <h1>{ t(Text::CheckCode) }</h1>
                <label for="track">{ t(Text::TrackingCode) }</label>
                <input id="track" type="text" autocomplete="off" spellcheck="false"
                    aria-describedby="track-help" {oninput} />
                <p id="track-help" class="help">{ t(Text::TrackHelp) }</p>
                <button type="submit">{ t(Text::Continue) }</button>
                { for answer }
            </form>
        }
    }
}

/// The page's own origin (scheme, host and port): the board that serves it.
fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

fn date(unix: u64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
    d.to_utc_string().as_string().unwrap_or_default()
}

/// Starts the page (called by the loader).
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// Benchmark hook (the page exposes it as `window.thistle.bench_encrypt`): the mean time in
/// milliseconds to encrypt and prove one ballot of `shape` ("choose": 1 of 5; "budget": 20
/// projects) on this device; negative for an unknown shape.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_encrypt(shape: &str, iterations: u32) -> f64 {
    crate::bench::encrypt_mean_ms(shape, iterations, now_ms, &mut OsRng).unwrap_or(-1.0)
}

/// Benchmark hook (`window.thistle.bench_longest_step`): the longest single step, in
/// milliseconds, of `iterations` stepwise encryptions of `shape`; negative for an unknown shape.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_longest_step(shape: &str, iterations: u32) -> f64 {
    crate::bench::longest_step_ms(shape, iterations, now_ms, &mut OsRng).unwrap_or(-1.0)
}
