//! `openapi.json` is generated from the code (`bulletin-board openapi`); this fails when the two
//! drift apart, so CI catches an API change whose document was not regenerated.
use bulletin_board::api::ApiDoc;
use utoipa::OpenApi;

#[test]
fn the_checked_in_openapi_document_matches_the_code() {
    let generated = ApiDoc::openapi().to_pretty_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "bulletin-board/openapi.json is stale; regenerate it with\n  \
         cargo run -p bulletin-board -- openapi > bulletin-board/openapi.json"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/v1/elections",
        "/v1/elections/{election}/{kind}",
        "/v1/elections/{election}/entries",
        "/v1/elections/{election}/proofs/inclusion",
        "/v1/elections/{election}/proofs/consistency",
        "/v1/elections/{election}/record",
        "/v1/health",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
