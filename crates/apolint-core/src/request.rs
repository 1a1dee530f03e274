//! The JSON request shared by the streaming filter (`check --format jsonl`),
//! the `hook` command and the HTTP service: one draft and what is known
//! about it.
//!
//! ```json
//! {"text": "…", "customer_name": "Мария", "language": "auto", "format": "plain",
//!  "channel": "email", "ticket_id": "T-1", "id": 7}
//! ```
//!
//! Only `text` is required. Unknown fields are refused, so that a typo such
//! as `customer_nme` does not silently switch a check off.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CheckOptions, Finding, Language, LanguageChoice, Linter, Situation, Verdict};

/// One draft to check, as sent by a program.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The draft.
    pub text: String,
    /// The customer's name, for name-mismatch.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// `auto` (default), `ru` or `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// `plain`, `markdown` or `html`; default: HTML if it looks like it,
    /// else plain.
    #[serde(default)]
    pub format: Option<String>,
    /// Where the reply goes (`email`, `chat`, …): selects the verdict policy.
    #[serde(default)]
    pub channel: Option<String>,
    /// The help desk's ticket, echoed back for correlation (never logged).
    #[serde(default)]
    pub ticket_id: Option<Value>,
    /// Any caller's id, echoed back.
    #[serde(default)]
    pub id: Option<Value>,
    /// What the reply answers: `complaint`, `neutral` or `positive`
    /// (default: inferred from the draft).
    #[serde(default)]
    pub situation: Option<String>,
    /// The rating of the review the reply answers, 1 to 5: 1-3 is a
    /// complaint, 4 neutral, 5 positive (`situation` wins when both are
    /// given).
    #[serde(default)]
    pub rating: Option<u8>,
}

/// A request that could not be used: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The offending field, if the problem is one field.
    pub field: Option<String>,
    /// What is wrong, and what to send instead.
    pub message: String,
    /// 1-based line and column in the request text, for syntax errors.
    pub position: Option<(usize, usize)>,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some((l, c)) => write!(f, "line {l}, column {c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl CheckRequest {
    /// The fields a request may have; any other is refused.
    pub const FIELDS: &'static [&'static str] = &[
        "text",
        "customer_name",
        "language",
        "format",
        "channel",
        "ticket_id",
        "id",
        "situation",
        "rating",
    ];

    /// Parses one request from JSON text.
    pub fn from_json(text: &str) -> Result<CheckRequest, RequestError> {
        // A BOM before the JSON (Windows tools write one) is read past, as
        // every front end reads one before a draft.
        let text = apolint_rules::without_bom(text);
        // Fast path: a well-formed request deserialises in one pass; only a
        // bad one (a field given twice among them: the derived form
        // refuses it) is parsed again for an error that names the field.
        if let Ok(request) = serde_json::from_str::<CheckRequest>(text) {
            if request.options().is_ok() {
                return Ok(request);
            }
        }
        Self::from_value(parse_json_unique_keys(text)?)
    }

    /// Builds a request from an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<CheckRequest, RequestError> {
        let Some(obj) = value.as_object() else {
            return Err(RequestError {
                field: None,
                message: format!(
                    "expected a JSON object like {{\"text\": \"…\"}}, got {}",
                    kind_of(&value)
                ),
                position: None,
            });
        };
        if !obj.contains_key("text") {
            return Err(RequestError {
                field: Some("text".into()),
                message: "missing field `text` (the draft to check)".into(),
                position: None,
            });
        }
        if let Some(unknown) = obj.keys().find(|k| !Self::FIELDS.contains(&k.as_str())) {
            let expected: Vec<String> = Self::FIELDS.iter().map(|f| format!("`{f}`")).collect();
            return Err(RequestError {
                field: Some(unknown.clone()),
                message: format!(
                    "unknown field `{unknown}`, expected one of {}",
                    expected.join(", ")
                ),
                position: None,
            });
        }
        // Every key is known and `text` is there: what is left is a value
        // of the wrong type, and the path names its field.
        let request: CheckRequest = serde_path_to_error::deserialize(value).map_err(|e| {
            let inner = strip_position(&e.inner().to_string());
            let field = e.path().to_string();
            RequestError {
                message: format!("field `{field}`: {inner}"),
                field: Some(field),
                position: None,
            }
        })?;
        request.options()?;
        Ok(request)
    }

    /// The check options this request asks for, or why the request is
    /// refused (a field's bad value; a text that cannot be checked as it
    /// is). A batch validates every draft with it before judging any.
    pub fn options(&self) -> Result<CheckOptions, RequestError> {
        // A desk that passes a whole e-mail whose body is base64 or in
        // MIME parts would get "send" for text nobody reads; as a file's,
        // such a body is refused.
        if let Err(crate::files::ReadError::EncodedMail { body, .. }) =
            crate::files::refuse_encoded_mail("text", &self.text)
        {
            return Err(RequestError {
                field: Some("text".into()),
                message: format!(
                    "the text is a saved message whose body is {body}, not the reply as written; send the reply's decoded text"
                ),
                position: None,
            });
        }
        let language = match self.language.as_deref() {
            None => LanguageChoice::Auto,
            Some(l) => l.parse().map_err(|e| RequestError {
                field: Some("language".into()),
                message: format!("field `language`: {e}"),
                position: None,
            })?,
        };
        let format = match self.format.as_deref() {
            None | Some("auto") | Some("") => None,
            Some(f) => Some(f.parse().map_err(|e| RequestError {
                field: Some("format".into()),
                message: format!("field `format`: {e}"),
                position: None,
            })?),
        };
        let situation = match (self.situation.as_deref(), self.rating) {
            (None | Some("auto") | Some(""), None) => None,
            (None | Some("auto") | Some(""), Some(r)) => Some(match r {
                1..=3 => Situation::Complaint,
                4 => Situation::Neutral,
                5 => Situation::Positive,
                _ => {
                    return Err(RequestError {
                        field: Some("rating".into()),
                        message: format!("field `rating`: expected 1 to 5, got {r}"),
                        position: None,
                    })
                }
            }),
            (Some(s), _) => Some(s.parse().map_err(|e| RequestError {
                field: Some("situation".into()),
                message: format!("field `situation`: {e}"),
                position: None,
            })?),
        };
        Ok(CheckOptions {
            format,
            language,
            customer_name: self.customer_name.clone(),
            situation,
            suggestions_in_rule_order: false,
        })
    }
}

/// What a front end assumes for a request that does not say: the
/// command line's `--lang`, `--customer-name` and `--situation` for the
/// JSON Lines stream.
#[derive(Debug, Clone, Default)]
pub struct RequestDefaults {
    /// The situation when the request gives neither `situation` nor
    /// `rating`.
    pub situation: Option<Situation>,
    /// The language when the request has no `language`.
    pub language: LanguageChoice,
    /// The customer's name when the request has no `customer_name`.
    pub customer_name: Option<String>,
}

/// The answer to one request: the request's own ids echoed, the verdict,
/// the language and the contract's findings. The same type answers the
/// JSON Lines stream, `apolint hook` and `apolint serve`.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The caller's `id`, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The caller's `ticket_id`, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<Value>,
    /// The request's line number, on a JSON Lines stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Whether the reply may go out, by the configured policy.
    pub verdict: Verdict,
    /// The draft's dominant language.
    pub language: Language,
    /// What was found: at most [`crate::MAX_FINDINGS`], the most severe
    /// kept when there were more.
    pub findings: Vec<Finding>,
    /// `true` when findings were left out (more than
    /// [`crate::MAX_FINDINGS`]); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// How many findings were left out; absent when none were.
    #[serde(skip_serializing_if = "is_zero")]
    pub findings_omitted: usize,
    /// The parts of a good reply it has and its score (replies to a
    /// complaint only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structure: Option<crate::Structure>,
    /// Time to parse and judge the request, in microseconds (`hook` and
    /// `serve`; the stream leaves it out so its output is reproducible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_us: Option<u64>,
}

/// The answer to a request that could not be judged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorAnswer {
    /// The request's `id`, echoed when the request was a JSON object with
    /// one (a caller joining answers to requests by id keeps its rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The request's `ticket_id`, echoed likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<Value>,
    /// The request's line number, on a JSON Lines stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What is wrong, and what to send instead.
    pub error: String,
    /// The offending field, when it is one field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<&RequestError> for ErrorAnswer {
    fn from(e: &RequestError) -> Self {
        ErrorAnswer {
            error: e.to_string(),
            field: e.field.clone(),
            ..ErrorAnswer::default()
        }
    }
}

impl ErrorAnswer {
    /// This answer with the `id` and `ticket_id` of `request_text`, when it
    /// is a JSON object that has them, however wrong the rest of it is.
    pub fn echoing(mut self, request_text: &str) -> Self {
        #[derive(Deserialize)]
        struct Ids {
            id: Option<Value>,
            ticket_id: Option<Value>,
        }
        // Only an object's: the derived form would read an array too.
        let is_object = request_text.trim_start().starts_with('{');
        if let Some(ids) = serde_json::from_str::<Ids>(request_text)
            .ok()
            .filter(|_| is_object)
        {
            self.id = ids.id;
            self.ticket_id = ids.ticket_id;
        }
        self
    }
}

impl Linter {
    /// Judges one request: checks its draft with its options (or the
    /// front end's `defaults`) and gives the verdict by the configured
    /// policy for its channel. `started` is when the front end began on
    /// the request, for `elapsed_us`.
    pub fn judge(
        &self,
        request: &CheckRequest,
        defaults: &RequestDefaults,
        started: Instant,
    ) -> Result<Answer, RequestError> {
        let mut options = request.options()?;
        if request.language.is_none() {
            options.language = defaults.language;
        }
        if options.customer_name.is_none() {
            options.customer_name.clone_from(&defaults.customer_name);
        }
        if options.situation.is_none() {
            options.situation = defaults.situation;
        }
        let report = self.check(&request.text, &options);
        let verdict = self.verdict(&report, request.channel.as_deref());
        Ok(Answer {
            id: request.id.clone(),
            ticket_id: request.ticket_id.clone(),
            line: None,
            verdict,
            language: report.language,
            findings: report.findings,
            truncated: report.omitted > 0,
            findings_omitted: report.omitted,
            structure: report.structure,
            elapsed_us: Some(started.elapsed().as_micros() as u64),
        })
    }
}

/// Parses JSON as `serde_json::from_str` does, except that a key given
/// twice in one object is an error naming it: serde_json keeps the last
/// silently, so `{"drafts": […], "drafts": […]}` would check drafts the
/// sender did not mean. Syntax errors carry their position.
pub fn parse_json_unique_keys(text: &str) -> Result<Value, RequestError> {
    let mut de = serde_json::Deserializer::from_str(apolint_rules::without_bom(text));
    let parsed = UniqueKeys::deserialize(&mut de).and_then(|v| de.end().map(|()| v.0));
    parsed.map_err(|e| {
        let message = strip_position(&e.to_string());
        let field = message
            .strip_prefix("duplicate key `")
            .and_then(|m| m.split('`').next())
            .map(str::to_owned);
        RequestError {
            message: if field.is_some() {
                format!("{message}; send each key once")
            } else {
                format!("malformed JSON: {message}")
            },
            field,
            position: Some((e.line(), e.column())),
        }
    })
}

/// A JSON value whose objects have no repeated key.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::DeserializeSeed::deserialize(UniqueKeysAt(&JsonPath::Root), d).map(UniqueKeys)
    }
}

/// Where a value sits in the document, to name a repeated key by its path
/// (`drafts[1].text`: in a batch, which draft); rendered only for an error.
enum JsonPath<'p> {
    Root,
    Key(&'p JsonPath<'p>, &'p str),
    Index(&'p JsonPath<'p>, usize),
}

impl std::fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPath::Root => Ok(()),
            JsonPath::Key(JsonPath::Root, key) => f.write_str(key),
            JsonPath::Key(parent, key) => write!(f, "{parent}.{key}"),
            JsonPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Deserialises the value at a path, refusing repeated keys.
struct UniqueKeysAt<'p>(&'p JsonPath<'p>);

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeysAt<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeysAt<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) =
            seq.next_element_seed(UniqueKeysAt(&JsonPath::Index(self.0, out.len())))?
        {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = JsonPath::Key(self.0, &key);
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key `{at}`")));
            }
            let v = map.next_value_seed(UniqueKeysAt(&at))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// serde_json appends " at line L column C"; the position is reported
/// separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InputFormat;

    #[test]
    fn repeated_keys_are_refused_by_name() {
        let e = parse_json_unique_keys(r#"{"drafts": [{"text": "a", "text": "b"}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("drafts[0].text"));
        assert!(
            e.message.starts_with("duplicate key `drafts[0].text`"),
            "{}",
            e.message
        );
        let v =
            parse_json_unique_keys(r#"{"a": [1, 2.5, null, true, {"b": "c"}], "b": {}}"#).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": [1, 2.5, null, true, {"b": "c"}], "b": {}})
        );
        assert!(parse_json_unique_keys("{} x").is_err());
        // One request (the service's /v1/check, `hook`, the stream): the
        // second `text` would hide the first's placeholder.
        let e = CheckRequest::from_json(r#"{"text": "Hi {{name}}", "text": "ok"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("text"));
        assert_eq!(e.position, Some((1, 30)), "the second key");
        let e = CheckRequest::from_json(r#"{"text": "a", "channel": "chat", "channel": "email"}"#)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("channel"));
        // In a batch, the path says which draft.
        let e =
            parse_json_unique_keys(r#"{"drafts": [{"text": "a"}, {"text": "b", "text": "c"}]}"#)
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("drafts[1].text"));
        assert!(
            e.message.starts_with("duplicate key `drafts[1].text`"),
            "{}",
            e.message
        );
        let e = parse_json_unique_keys(r#"[[{"a": {"b": 1, "b": 2}}]]"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("[0][0].a.b"));
    }

    #[test]
    fn a_message_with_an_encoded_body_is_refused_not_passed() {
        let linter = crate::Linter::builtin().unwrap();
        let judge = |text: &str| {
            // Past the parsing's own validation, as the judge may be called.
            let request: CheckRequest =
                serde_json::from_value(serde_json::json!({ "text": text })).unwrap();
            linter.judge(&request, &RequestDefaults::default(), Instant::now())
        };
        let e = judge(
            "From: support@shop.example\nSubject: Re: order\nContent-Transfer-Encoding: base64\n\nV2UgYXJlIHNvcnJ5IQ==\n",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("text"));
        assert!(e.message.contains("base64"), "{}", e.message);
        // A plain body is checked as any draft.
        // Refused by the validation a batch runs before judging any draft.
        let request = CheckRequest::from_value(serde_json::json!({
            "text": "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
        }))
        .and_then(|r| r.options().map(|_| r));
        assert_eq!(request.unwrap_err().field.as_deref(), Some("text"));
        let a = judge("From: support@shop.example\nSubject: Re: order\n\nSorry!!!\n").unwrap();
        assert!(a
            .findings
            .iter()
            .any(|f| f.rule == "any.shouting.exclamation-run"));
    }

    #[test]
    fn minimal_and_full_requests_parse() {
        let r = CheckRequest::from_json(r#"{"text": "Привет"}"#).unwrap();
        assert_eq!(r.text, "Привет");
        let r = CheckRequest::from_json(
            r#"{"text":"x","customer_name":"Мария","language":"ru","format":"html","channel":"chat","ticket_id":"T-1","id":3}"#,
        )
        .unwrap();
        let o = r.options().unwrap();
        assert_eq!(o.language, LanguageChoice::Ru);
        assert_eq!(o.format, Some(InputFormat::Html));
        assert_eq!(o.customer_name.as_deref(), Some("Мария"));
        assert_eq!(r.id, Some(Value::from(3)));
    }

    #[test]
    fn errors_name_the_field_or_the_position() {
        let e = CheckRequest::from_json(r#"{"customer_name": "x"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("text"));
        let e = CheckRequest::from_json(r#"{"text": "x", "customer_nme": "y"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("customer_nme"));
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = CheckRequest::from_json(r#"{"text": 5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("text"));
        assert!(
            e.message.starts_with("field `text`: invalid type"),
            "{}",
            e.message
        );
        let e = CheckRequest::from_json(r#"{"text": "x", "language": "de"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("language"));
        let e = CheckRequest::from_json("{\"text\": \n \"x\"").unwrap_err();
        assert_eq!(e.position, Some((2, 4)));
        assert!(
            e.to_string()
                .starts_with("line 2, column 4: malformed JSON"),
            "{e}"
        );
        let e = CheckRequest::from_json("[1]").unwrap_err();
        assert!(e.message.contains("got an array"), "{}", e.message);
    }
}
