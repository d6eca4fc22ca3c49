//! The HTTP layer's one error type and its mapping to status codes and the JSON error body
//! `{"error": {"code", "message", "field"?, "details"?}}`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use nuanxin_domain::ValidationErrors;
use serde_json::json;

use crate::registry::import::RowError;
use crate::registry::RegistryError;
use nuanxin_sheets::{Limit, SheetError};

/// Says how many errors an import answer leaves out, if any.
fn omitted_note(total: usize, reported: usize) -> String {
    if total > reported {
        format!("（仅列出前{reported}处，其余{}处未列出）", total - reported)
    } else {
        String::new()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Unauthorized {
        code: &'static str,
        message: &'static str,
    },
    #[error("没有权限执行此操作")]
    Forbidden,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Validation(ValidationErrors),
    /// A file with bad rows: the first of its errors (at most [`crate::registry::import::RowErrors::REPORTED`]) and how many in all.
    #[error("文件中有{total}处错误，未导入任何数据{}", omitted_note(*total, reported.len()))]
    ImportRejected {
        reported: Vec<RowError>,
        total: usize,
    },
    /// A spreadsheet beyond the import's limits (`SheetLimits`), refused before it was read in full.
    #[error("{message}")]
    SheetTooLarge {
        limit: Limit,
        max: u64,
        value: u64,
        message: String,
    },
    /// A request body beyond the route's limit, refused before more of it was read: a file (imports)
    /// or a JSON body (`field: "body"`).
    #[error("{}", too_large_message(.field, *.max_bytes))]
    PayloadTooLarge {
        max_bytes: usize,
        field: &'static str,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A write the schema refused (a race past the application's own checks).
    #[error("{}", .0.message)]
    Constraint(nuanxin_db::Violation),
    #[error("{0}")]
    PreconditionRequired(&'static str),
    /// What was there is gone for good: an expired or revoked data release (410).
    #[error("{0}")]
    Gone(&'static str),
    #[error("请求过于频繁，请{retry_after}秒后再试")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(e))
    }

    pub fn bad_request(code: &'static str, field: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized { code, .. } => code,
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest { code, .. } => code,
            ApiError::Validation(errors) => errors.first().map(|e| e.code).unwrap_or("invalid"),
            ApiError::ImportRejected { .. } => "import_rejected",
            ApiError::SheetTooLarge { .. } => "file_too_large",
            ApiError::PayloadTooLarge { field, .. } => match *field {
                "file" => "file_too_large",
                _ => "payload_too_large",
            },
            ApiError::Conflict { code, .. } => code,
            ApiError::Constraint(v) => v.code,
            ApiError::PreconditionRequired(_) => "precondition_required",
            ApiError::Gone(_) => "gone",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(_)
            | ApiError::ImportRejected { .. }
            | ApiError::SheetTooLarge { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Constraint(v) => match v.kind {
                nuanxin_db::ViolationKind::Unique => StatusCode::CONFLICT,
                nuanxin_db::ViolationKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self {
            ApiError::Validation(errors) => {
                let first = errors.first();
                json!({"error": {
                    "code": self.code(),
                    "message": first.map(|e| e.message.clone()).unwrap_or_default(),
                    "field": first.map(|e| e.field.clone()),
                    "details": errors.0,
                }})
            }
            ApiError::Constraint(v) => {
                json!({"error": {"code": v.code, "message": v.message, "field": v.field}})
            }
            ApiError::ImportRejected { reported, total } => {
                json!({"error": {"code": self.code(), "message": self.to_string(), "field": "file",
                                 "details": reported, "total_errors": total}})
            }
            ApiError::SheetTooLarge {
                limit,
                max,
                value,
                message,
            } => {
                json!({"error": {"code": self.code(), "message": message, "field": "file",
                                 "limit": limit.as_str(), "max": max, "value": value}})
            }
            ApiError::PayloadTooLarge { max_bytes, field } => {
                json!({"error": {"code": self.code(), "message": self.to_string(), "field": field,
                                 "limit": "bytes", "max": max_bytes}})
            }
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => {
                json!({"error": {"code": self.code(), "message": message, "field": field}})
            }
            ApiError::Internal(cause) => {
                // The cause chain goes to the log, never to the client.
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error.cause_chain = %chain, "request failed");
                json!({"error": {"code": "internal", "message": "服务器内部错误"}})
            }
            other => json!({"error": {"code": other.code(), "message": other.to_string()}}),
        };
        let mut response = HttpResponse::build(status);
        if let ApiError::TooManyRequests { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let ApiError::Unauthorized { .. } = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(body)
    }
}

fn too_large_message(field: &str, max_bytes: usize) -> String {
    match field {
        "file" => format!(
            "文件超过{} MB的上限，请分成几个文件导入",
            max_bytes / (1024 * 1024)
        ),
        _ => format!("请求内容过大（上限 {} KB）", max_bytes / 1024),
    }
}

impl From<nuanxin_db::pool::TxError> for ApiError {
    fn from(e: nuanxin_db::pool::TxError) -> ApiError {
        match e {
            nuanxin_db::pool::TxError::Pool(_) => ApiError::Unavailable("数据库暂时不可用"),
            nuanxin_db::pool::TxError::Query(q) => ApiError::from(q),
        }
    }
}

impl From<crate::audit::reads::ReadLogFull> for ApiError {
    fn from(_: crate::audit::reads::ReadLogFull) -> ApiError {
        ApiError::Unavailable("审计日志暂时无法记录，读取已暂停，请稍后再试")
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        match nuanxin_db::on_constraint(&e) {
            Some(violation) => ApiError::Constraint(violation),
            None => ApiError::internal(e),
        }
    }
}

impl From<crate::auth::authorized::Refused> for ApiError {
    fn from(_: crate::auth::authorized::Refused) -> ApiError {
        ApiError::Forbidden
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        match e {
            RegistryError::Validation(errors) => ApiError::Validation(errors),
            RegistryError::NotFound => ApiError::NotFound("没有找到该家庭"),
            RegistryError::BadInput {
                code,
                field,
                message,
            } => ApiError::bad_request(code, field, message),
            RegistryError::Forbidden => ApiError::Forbidden,
            RegistryError::Tx(e) => ApiError::from(e),
            RegistryError::ReadLog(e) => ApiError::from(e),
            RegistryError::VersionConflict { current } => ApiError::Conflict {
                code: "version_conflict",
                message: format!("该家庭已被他人修改（当前版本{current}），请刷新后再改"),
            },
            RegistryError::AlreadyExited => ApiError::Conflict {
                code: "already_exited",
                message: "该家庭已退出登记".into(),
            },
            RegistryError::Import(errors) => {
                let (reported, total) = errors.into_reported();
                ApiError::ImportRejected { reported, total }
            }
            RegistryError::Database(e) => ApiError::from(e),
            RegistryError::Cipher(e) => ApiError::internal(e),
            RegistryError::Busy(message) => ApiError::Unavailable(message),
            RegistryError::Worker(e) => ApiError::internal(e),
            RegistryError::Sheet(SheetError::TooLarge { limit, max, value }) => {
                ApiError::SheetTooLarge {
                    limit,
                    max,
                    value,
                    message: SheetError::TooLarge { limit, max, value }.reason_zh(),
                }
            }
            RegistryError::Sheet(e) => {
                ApiError::bad_request("unreadable_file", "file", e.reason_zh())
            }
        }
    }
}

impl From<crate::benefits::BenefitError> for ApiError {
    fn from(e: crate::benefits::BenefitError) -> ApiError {
        use crate::benefits::BenefitError as B;
        match e {
            B::NoPolicy => ApiError::NotFound("本区尚未配置政策"),
            B::UnknownProgram(code) => ApiError::bad_request(
                "unknown_program",
                "program",
                format!("政策中没有项目“{code}”"),
            ),
            B::BadPeriod(message) => ApiError::bad_request("invalid_period", "period", message),
            B::BadYear(message) => ApiError::bad_request("invalid_year", "year", message),
            B::NotInForce(message) => ApiError::Conflict {
                code: "policy_not_in_force",
                message,
            },
            B::BadPolicy(message) => {
                ApiError::bad_request("invalid_policy", "policy_yaml", message)
            }
            B::MissingField { field, message } => ApiError::bad_request("required", field, message),
            B::Invalid {
                field,
                code,
                message,
            } => {
                let mut errors = ValidationErrors::default();
                errors.push(field, code, message);
                ApiError::Validation(errors)
            }
            B::NotFound(message) => ApiError::NotFound(message),
            B::Forbidden => ApiError::Forbidden,
            B::InvalidTransition { message } => ApiError::Conflict {
                code: "invalid_transition",
                message,
            },
            B::Conflict { code, message } => ApiError::Conflict {
                code,
                message: message.to_owned(),
            },
            B::Database(e) => ApiError::from(e),
            B::Tx(e) => ApiError::from(e),
            B::Decode(_) | B::Worker(_) | B::Sheet(_) => ApiError::internal(e),
        }
    }
}

impl From<crate::sharing::SharingError> for ApiError {
    fn from(e: crate::sharing::SharingError) -> ApiError {
        use crate::sharing::SharingError as S;
        match e {
            S::NoRules => ApiError::NotFound("本区尚未配置数据共享规则"),
            S::Invalid(problems) => {
                let mut errors = ValidationErrors::default();
                for p in problems {
                    errors.push(p.field, "not_allowed", p.message);
                }
                ApiError::Validation(errors)
            }
            S::NotFound(message) => ApiError::NotFound(message),
            S::OwnRequest | S::Forbidden => ApiError::Forbidden,
            S::Conflict(message) => ApiError::Conflict {
                code: "conflict",
                message: message.into(),
            },
            S::Gone(message) => ApiError::Gone(message),
            S::TooMany { retry_after } => ApiError::TooManyRequests { retry_after },
            S::Database(e) => ApiError::from(e),
            S::Tx(e) => ApiError::from(e),
            S::ReadLog(e) => ApiError::from(e),
            S::Decode(_) | S::Worker(_) => ApiError::internal(e),
        }
    }
}

impl From<crate::tasks::TaskError> for ApiError {
    fn from(e: crate::tasks::TaskError) -> ApiError {
        use crate::tasks::TaskError as T;
        use nuanxin_domain::tasks::Refusal;
        match e {
            T::NotConfigured => ApiError::NotFound("本区尚未配置志愿服务匹配"),
            T::Validation(errors) => ApiError::Validation(errors),
            T::BadInput {
                code,
                field,
                message,
            } => ApiError::bad_request(code, field, message),
            T::NotFound(message) => ApiError::NotFound(message),
            T::Forbidden => ApiError::Forbidden,
            T::Refused(refusal) => ApiError::Conflict {
                code: match refusal {
                    Refusal::Late => "offer_expired",
                    Refusal::NotNow { .. } => "invalid_transition",
                    Refusal::TooEarly => "too_early",
                    Refusal::TooLate => "too_late",
                },
                message: refusal.to_string(),
            },
            T::Conflict { code, message } => ApiError::Conflict { code, message },
            T::Database(e) => ApiError::from(e),
            T::Tx(e) => ApiError::from(e),
            T::ReadLogFull(e) => ApiError::from(e),
            T::Import(errors) => {
                let (reported, total) = errors.into_reported();
                ApiError::ImportRejected { reported, total }
            }
            // A volunteer file is refused as a register file is (413 past the limits, else 400).
            T::Sheet(e) => ApiError::from(crate::registry::RegistryError::Sheet(e)),
            T::Benefit(e) => ApiError::from(e),
            T::Engine(_) | T::Worker(_) | T::Cipher(_) => ApiError::internal(e),
        }
    }
}

impl From<crate::page::PagingRefused> for ApiError {
    fn from(e: crate::page::PagingRefused) -> ApiError {
        ApiError::bad_request("out_of_range", e.field, e.message)
    }
}

impl From<crate::visits::VisitError> for ApiError {
    fn from(e: crate::visits::VisitError) -> ApiError {
        use crate::visits::VisitError as V;
        use nuanxin_domain::visits::HandOverRefused;
        let invalid = |field: &'static str, code: &'static str, message: String| {
            let mut errors = ValidationErrors::default();
            errors.push(field, code, message);
            ApiError::Validation(errors)
        };
        match e {
            V::NoPolicy => ApiError::NotFound("本区尚未配置政策"),
            V::NotHolidayProgram(message) => invalid("program", "not_holiday_program", message),
            V::BadYear(message) => invalid("year", "out_of_range", message),
            V::NotInForce(message) => invalid("year", "policy_not_in_force", message),
            V::NotFound(message) => ApiError::NotFound(message),
            V::Forbidden => ApiError::Forbidden,
            V::OutOfRange { field, message } => {
                ApiError::bad_request("out_of_range", field, message)
            }
            V::Validation(errors) => ApiError::Validation(errors),
            V::HandOver(refused) => ApiError::Conflict {
                code: match refused {
                    HandOverRefused::AlreadyPaid => "already_paid",
                    HandOverRefused::NotPayable => "not_payable",
                },
                message: refused.to_string(),
            },
            V::Benefit(e) => ApiError::from(e),
            V::Database(e) => ApiError::from(e),
            V::Tx(e) => ApiError::from(e),
            V::ReadLog(e) => ApiError::from(e),
        }
    }
}

impl From<crate::checkins::CheckinError> for ApiError {
    fn from(e: crate::checkins::CheckinError) -> ApiError {
        use crate::checkins::CheckinError as C;
        match e {
            C::Validation(errors) => ApiError::Validation(errors),
            C::NotFound(message) => ApiError::NotFound(message),
            C::Forbidden => ApiError::Forbidden,
            C::Conflict { code, message } => ApiError::Conflict { code, message },
            C::NotConfigured => ApiError::NotFound("本区尚未配置每日探询（checkins.yaml）"),
            C::Registry(e) => ApiError::from(e),
            C::Database(e) => ApiError::from(e),
            C::Tx(e) => ApiError::from(e),
            C::Commit(e) => e,
            C::Cipher(_) => ApiError::internal(e),
        }
    }
}
