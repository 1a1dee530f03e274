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

#[tokio::test]
async fn api_requests_must_be_json_and_bearer_is_case_insensitive() {
    let options = ServeOptions {
        token: Some("s3cret".into()),
        ..ServeOptions::default()
    };
    let plain = Request::post("/v1/check")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::from(r#"{"text": "hi"}"#))
        .unwrap();
    assert_eq!(
        call(&options, plain).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let lower = Request::post("/v1/check")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::AUTHORIZATION, "bearer s3cret")
        .body(Body::from(r#"{"text": "hi"}"#))
        .unwrap();
    assert_eq!(call(&options, lower).await.0, StatusCode::OK);
}

#[tokio::test]
async fn over_size_content_length_is_refused_before_reading() {
    let options = ServeOptions {
        max_body: 10,
        ..ServeOptions::default()
    };
    // The declared length alone decides: the body is never polled.
    let request = Request::post("/v1/check")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "999999999")
        .body(Body::empty())
        .unwrap();
    let (status, v) = call(&options, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
}

#[tokio::test]
async fn batch_refuses_unknown_keys_and_405_says_what_to_use() {
    let (status, v) = call(
        &ServeOptions::default(),
        post(
            "/v1/check/batch",
            r#"{"drafts": [{"text": "hi"}], "draft": 1}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["field"], "draft");
    let (status, v) = call(
        &ServeOptions::default(),
        Request::get("/v1/check").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(v["error"].as_str().unwrap().contains("use POST"), "{v}");
}

#[tokio::test]
async fn batch_refuses_a_key_given_twice_by_name() {
    for (body, key) in [
        (
            r#"{"drafts": [{"text": "a"}], "drafts": [{"text": "b"}]}"#,
            "drafts",
        ),
        // Inside a draft: its path says which.
        (
            r#"{"drafts": [{"text": "a", "text": "b"}]}"#,
            "drafts[0].text",
        ),
    ] {
        let (status, v) = call(&ServeOptions::default(), post("/v1/check/batch", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], key, "{v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains(&format!("duplicate key `{key}`")),
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_huge_answer_is_truncated_with_a_note() {
    let text = "мы же ".repeat(3000);
    let body = serde_json::json!({ "text": text }).to_string();
    let (status, v) = call(&ServeOptions::default(), post("/v1/check", &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        apolint_core::MAX_FINDINGS
    );
    assert_eq!(v["truncated"], true);
    assert!(v["findings_omitted"].as_u64().unwrap() > 0, "{v}");
}

#[tokio::test]
async fn rules_explain_every_finding_and_need_the_token() {
    let get = || Request::get("/v1/rules").body(Body::empty()).unwrap();
    let (status, v) = call(&ServeOptions::default(), get()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Linter::builtin().unwrap().rules().len());
    let cliche = rules
        .iter()
        .find(|r| r["id"] == "en.cliche.apologize-for-inconvenience")
        .expect("the English cliché is listed");
    assert_eq!(cliche["category"], "cliche");
    assert!(!cliche["message"].as_str().unwrap().is_empty());
    assert!(!cliche["explanation"].as_str().unwrap().is_empty());
    assert!(!cliche["suggestions"].as_array().unwrap().is_empty());
    assert!(!cliche["reported"].as_array().unwrap().is_empty());
    assert!(cliche["not_reported"].is_array());
    // Under /v1/, like the checks: the token guards it.
    let options = ServeOptions {
        token: Some("s3cret".into()),
        ..ServeOptions::default()
    };
    let (status, _) = call(&options, get()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
