//! The service's routes driven in-process (no socket, no process): the
//! router `apolint serve` runs, called as a tower service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use apolint_core::Linter;
use apolint_server::{router, ServeOptions};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn call(options: &ServeOptions, request: Request<Body>) -> (StatusCode, Value) {
    let app = router(options, Linter::builtin().unwrap()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn check_answers_verdict_and_findings_with_the_ids_echoed() {
    let (status, v) = call(
        &ServeOptions::default(),
        post(
            "/v1/check",
            r#"{"text": "Приносим свои извинения!!!", "ticket_id": "T-7", "id": 3}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["id"].clone(), v["ticket_id"].clone()),
        (3.into(), "T-7".into())
    );
    assert_eq!(v["verdict"], "warn");
    assert_eq!(v["language"], "ru");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"ru.cliche.prinosim-izvineniya"),
        "{rules:?}"
    );
    assert!(v["elapsed_us"].is_u64());
}

#[tokio::test]
async fn a_token_is_required_when_configured_and_errors_name_the_field() {
    let options = ServeOptions {
        token: Some("s3cret".into()),
        ..ServeOptions::default()
    };
    let (status, _) = call(&options, post("/v1/check", r#"{"text": "Hi"}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let authorized = Request::post("/v1/check")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"text": "Hi", "languag": "ru"}"#))
        .unwrap();
    let (status, v) = call(&options, authorized).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["field"], "languag", "{v}");
    let (status, v) = call(
        &ServeOptions::default(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("ok")));
}
