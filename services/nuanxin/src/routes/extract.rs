//! Request bodies and query strings: parsed with errors that name the field, in Chinese, and never quote
//! the value sent. serde's own messages repeat the offending value (``invalid type: integer
//! `990101195909050805`, expected a string``), which would put resident IDs and phones into error bodies
//! and logs; [`describe`] keeps only what the schema says (the expected type, the allowed values).

use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use nuanxin_text_enum::Vocabulary;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Default body limit of the API's JSON routes (a family is a few kilobytes).
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON body whose parse errors name the field path (`parents[0].self_care`).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> Body<T> {
    /// Parses bytes already read.
    pub fn parse(bytes: &[u8]) -> Result<T, ApiError> {
        parse_json(bytes, "")
    }
}

/// A `?status=` of a list: absent is `None`; a text outside the vocabulary is 400 naming the field and
/// what is accepted (never the text sent).
pub fn status_param<T: Vocabulary>(text: Option<&str>) -> Result<Option<T>, ApiError> {
    text.map(parse_status).transpose()
}

/// `?status=verified,approved`: several values of the vocabulary, each checked as [`status_param`].
pub fn status_list_param<T: Vocabulary>(text: Option<&str>) -> Result<Option<Vec<T>>, ApiError> {
    text.map(|list| list.split(',').map(parse_status).collect())
        .transpose()
}

/// A `?status=` of a list that also offers `all` (`None`, every status); absent is `default`.
pub fn status_or_all_param<T: Vocabulary>(
    text: Option<&str>,
    default: T,
) -> Result<Option<T>, ApiError> {
    nuanxin_text_enum::one_or_all(text, default)
        .map_err(|message| ApiError::bad_request("invalid_status", "status", message))
}

fn parse_status<T: Vocabulary>(text: &str) -> Result<T, ApiError> {
    T::from_text(text.trim()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_status",
            "status",
            format!("状态应为{}", T::texts_zh()),
        )
    })
}

/// Parses JSON, naming the failing field under `prefix` (e.g. `facts.`). A text holding a NUL character
/// is refused here for every route: PostgreSQL cannot store one, and no field needs it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], prefix: &str) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: serde_json::Value =
        serde_path_to_error::deserialize(de).map_err(|e| path_error(&e, prefix))?;
    if let Some(path) = nul_at(&value, prefix.trim_end_matches('.')) {
        return Err(ApiError::BadRequest {
            code: "invalid_text",
            message: "文本中含有不允许的控制字符（NUL）".into(),
            field: Some(if path.is_empty() { "body".into() } else { path }),
        });
    }
    from_value(value, prefix)
}

/// The path of the first string (value or key) holding a NUL character.
fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(path.to_owned())
            } else {
                nul_at(v, &here)
            }
        }),
        _ => None,
    }
}

/// Reads a JSON value already parsed (a part of a body) into `T`, naming fields under `prefix`.
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| path_error(&e, prefix))
}

fn path_error(e: &serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> ApiError {
    let path = e.path().to_string();
    let field = match (prefix, path.as_str()) {
        ("", "" | ".") => "body".to_owned(),
        (p, "" | ".") => p.trim_end_matches('.').to_owned(),
        (p, path) => format!("{p}{path}"),
    };
    invalid_json(field, describe_json(e.inner()))
}

fn invalid_json(field: String, message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_json",
        message,
        field: Some(field),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Body<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(payload_error)?;
            Body::parse(&bytes).map(Body)
        })
    }
}

/// Reads a body of at most `limit` bytes: 413 past it, before anything more is buffered.
pub async fn read_limited(
    mut payload: actix_web::dev::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| bad_body())?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        max_bytes: limit,
        field: "body",
    }
}

fn bad_body() -> ApiError {
    invalid_json("body".into(), "请求内容无法读取".into())
}

/// Maps actix's body errors: too large is 413, anything else a 400 on `body`.
pub fn payload_error(e: actix_web::Error) -> ApiError {
    use actix_web::error::PayloadError;
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => too_large(JSON_LIMIT),
        _ if e.as_response_error().status_code()
            == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            too_large(JSON_LIMIT)
        }
        _ => bad_body(),
    }
}

/// A query-string parse error, in Chinese, naming the parameter and not the value.
pub fn query_error(e: &actix_web::error::QueryPayloadError) -> ApiError {
    let text = e.to_string();
    // serde_urlencoded: "Query deserialize error: unknown field `x`, expected one of …" or
    // "invalid digit found in string" (no field named): take the field where serde names it.
    let field = backticked(&text, "unknown field `")
        .or_else(|| backticked(&text, "missing field `"))
        .map(str::to_owned);
    ApiError::BadRequest {
        code: "invalid_query",
        message: describe_message(&text),
        field,
    }
}

/// A Chinese description of a JSON error that repeats nothing the client sent.
pub fn describe_json(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => format!("JSON 格式错误（第{}行第{}列）", e.line(), e.column()),
        Category::Eof => "JSON 不完整".to_owned(),
        Category::Io => "请求内容无法读取".to_owned(),
        Category::Data => describe_message(&e.to_string()),
    }
}

/// Describes serde's data-error message by its kind, keeping only the schema's side of it.
fn describe_message(text: &str) -> String {
    if let Some(name) = backticked(text, "missing field `") {
        return format!("缺少必填字段“{name}”");
    }
    if text.contains("unknown field `") {
        return "不认识的字段".to_owned();
    }
    if text.contains("unknown variant `") {
        // serde: "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`".
        return match text.split_once("expected ") {
            Some((_, allowed)) => format!("取值不在允许范围内，应为 {}", allowed_values(allowed)),
            None => "取值不在允许范围内".to_owned(),
        };
    }
    if text.contains("duplicate field `") {
        return "字段重复".to_owned();
    }
    if text.contains("invalid length") {
        return "元素个数不正确".to_owned();
    }
    if let Some((_, expected)) = text.split_once("expected ") {
        let expected = expected.split(" at line ").next().unwrap_or(expected);
        return format!("类型或格式不正确，应为{}", expected_zh(expected));
    }
    if text.contains("out of range") || text.contains("too large") || text.contains("overflow") {
        return "数值超出允许范围".to_owned();
    }
    "格式不正确".to_owned()
}

/// The text between `prefix` and the next backtick.
fn backticked<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    rest.find('`').map(|end| &rest[..end])
}

/// serde's list of allowed variants (`` `a`, `b` or `c` ``) as `a、b、c`: schema names, not input.
fn allowed_values(list: &str) -> String {
    let names: Vec<&str> = list
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, name)| name)
        .collect();
    names.join("、")
}

fn expected_zh(expected: &str) -> &'static str {
    let e = expected.trim();
    if e.contains("date") {
        "日期（YYYY-MM-DD）"
    } else if e.contains("string") {
        "字符串"
    } else if e.contains("bool") {
        "true 或 false"
    } else if e.starts_with('i') || e.starts_with('u') || e.contains("integer") {
        "整数"
    } else if e.contains("f64") || e.contains("f32") || e.contains("number") {
        "数字"
    } else if e.contains("sequence") || e.contains("array") || e.contains("tuple") {
        "数组"
    } else if e.contains("struct") || e.contains("map") {
        "对象"
    } else if e.contains("uuid") || e.contains("UUID") {
        "UUID"
    } else {
        "正确的格式"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code)]
    struct Person {
        resident_id: String,
        kind: Kind,
        age: Option<i32>,
        born: Option<chrono::NaiveDate>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Bereaved,
        Disabled,
    }

    fn message(json: &str) -> (String, String) {
        match Body::<Person>::parse(json.as_bytes()).unwrap_err() {
            ApiError::BadRequest { message, field, .. } => (field.unwrap(), message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_message_repeats_the_value_sent() {
        for (json, field) in [
            (
                r#"{"resident_id": 990101195909050805, "kind": "bereaved"}"#,
                "resident_id",
            ),
            (r#"{"resident_id": "x", "kind": "19900000000"}"#, "kind"),
            (
                r#"{"resident_id": "x", "kind": "bereaved", "age": "13800138000"}"#,
                "age",
            ),
            (
                r#"{"resident_id": "x", "kind": "bereaved", "born": "1990-13-45 13800138000"}"#,
                "born",
            ),
        ] {
            let (got_field, message) = message(json);
            assert_eq!(got_field, field, "{json}");
            for secret in ["990101195909050805", "19900000000", "13800138000"] {
                assert!(!message.contains(secret), "{message}");
            }
            assert!(!message.is_ascii(), "Chinese: {message}");
        }
        let (_, unknown) = message(r#"{"resident_id": "x", "kind": "bereaved", "13800138000": 1}"#);
        assert_eq!(unknown, "不认识的字段");
    }

    #[test]
    fn a_nul_character_anywhere_is_refused_naming_the_field() {
        let err = Body::<Person>::parse(br#"{"resident_id": "a\u0000b", "kind": "bereaved"}"#);
        match err.unwrap_err() {
            ApiError::BadRequest { code, field, .. } => {
                assert_eq!(code, "invalid_text");
                assert_eq!(field.as_deref(), Some("resident_id"));
            }
            other => panic!("{other:?}"),
        }
        let nested: Result<serde_json::Value, _> =
            parse_json(br#"{"a": [{"b": "x"}, {"c": "\u0000"}]}"#, "");
        assert!(
            matches!(nested, Err(ApiError::BadRequest { field: Some(f), .. }) if f == "a[1].c")
        );
    }

    #[test]
    fn messages_say_what_the_schema_expects() {
        assert_eq!(
            message(r#"{"kind": "bereaved"}"#).1,
            "缺少必填字段“resident_id”"
        );
        assert_eq!(
            message(r#"{"resident_id": "x", "kind": "other"}"#).1,
            "取值不在允许范围内，应为 bereaved、disabled"
        );
        assert_eq!(
            message(r#"{"resident_id": 1, "kind": "bereaved"}"#).1,
            "类型或格式不正确，应为字符串"
        );
        assert_eq!(message(r#"{"resident_id": "#).1, "JSON 不完整");
        assert!(message(r#"{"resident_id" "x"}"#)
            .1
            .starts_with("JSON 格式错误"));
    }
}
