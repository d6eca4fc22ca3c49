//! The console's session: a sign-in form, an `HttpOnly; SameSite=Strict` cookie (and `Secure` over TLS)
//! holding the same opaque token the API's bearer sessions use, the extractors that turn it into the
//! API's `Caller` and `Authorized`, and the CSRF check of every form. The token never reaches JavaScript.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use rand::RngCore;

use super::csrf;
use super::views::{page, see_other, with_headers, Frame, PageError};
use crate::auth::sign_in::{authenticate, begin_session, LoginRequest};
use crate::auth::throttle::{client_address, LoginThrottle};
use crate::auth::{Authorized, Caller, PLATFORM_DOMAIN};
use crate::error::ApiError;
use crate::state::AppState;

/// The session token.
pub const SESSION_COOKIE: &str = "nuanxin_session";
/// The secret the sign-in form's CSRF token is derived from (before there is a session).
pub const SIGN_IN_COOKIE: &str = "nuanxin_sign_in";
/// The district last signed in to, so the form offers it first.
pub const DISTRICT_COOKIE: &str = "nuanxin_district";

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(PageError::Api(ApiError::Unavailable("服务尚未就绪")))
}

/// Whether the browser reached us over TLS: directly, or through a trusted proxy that says so.
fn over_tls(req: &HttpRequest, state: &AppState) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_proxy = req.peer_addr().is_some_and(|peer| {
        state
            .settings
            .security
            .trusted_proxies()
            .contains(&peer.ip())
    });
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A cookie only this site's own requests carry, invisible to scripts.
fn strict_cookie<'c>(name: &'c str, value: String, secure: bool) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The signed-in caller of a console request, with the CSRF token of their forms.
pub struct ConsoleCaller {
    pub caller: Caller,
    pub csrf: String,
}

impl ConsoleCaller {
    async fn load(state: &AppState, token: Option<String>) -> Result<ConsoleCaller, PageError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(PageError::SignedOut)?;
        match Caller::from_token(state, &token).await {
            Ok(caller) => Ok(ConsoleCaller {
                caller,
                csrf: csrf::token(&token),
            }),
            Err(ApiError::Unauthorized { .. }) => Err(PageError::SignedOut),
            Err(e) => Err(PageError::Api(e)),
        }
    }
}

impl FromRequest for ConsoleCaller {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<ConsoleCaller, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = state_of(req);
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        Box::pin(async move { ConsoleCaller::load(&*state?, token).await })
    }
}

/// A district caller of a console page: the API's authorization object, built from the cookie session.
pub struct Console {
    pub auth: Authorized,
    pub csrf: String,
}

impl Console {
    /// The console caller as the API's authorization object (refused for platform operators).
    pub fn new(
        state: &AppState,
        who: ConsoleCaller,
        request_id: Option<String>,
    ) -> Result<Console, PageError> {
        Ok(Console {
            auth: Authorized::new(state, who.caller, request_id)?,
            csrf: who.csrf,
        })
    }

    /// The layout's frame for this caller's page at `path`.
    pub fn frame(&self, state: &AppState, title: &str, path: &str) -> Frame {
        Frame::signed_in(state, &self.auth.caller, &self.csrf, title, path)
    }
}

impl FromRequest for Console {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Console, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let state = state_of(req);
        let request_id = super::request_id(req);
        let caller = ConsoleCaller::from_request(req, payload);
        Box::pin(async move { Console::new(&*state?, caller.await?, request_id) })
    }
}

/// The fields of a console form whose CSRF token matched the session's: every state-changing console
/// request takes this extractor, so a form without the token never reaches a handler (403).
pub struct Posted {
    fields: Vec<(String, String)>,
}

impl Posted {
    /// The first value of `name` ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every field as sent, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every value of `name` (check boxes of the same name).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value of `name`, None when empty.
    pub fn text(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// Whether `given` is the CSRF token of the session whose secret (cookie value) is `secret`.
fn csrf_matches(secret: Option<&str>, given: &str) -> bool {
    secret.is_some_and(|secret| !secret.is_empty() && csrf::matches(secret, given))
}

/// Whether `given` is the CSRF token of this request's session: for forms that are not urlencoded (a
/// file upload), which check it themselves before reading anything else.
pub fn session_csrf_matches(req: &HttpRequest, given: &str) -> bool {
    csrf_matches(
        req.cookie(SESSION_COOKIE).as_ref().map(|c| c.value()),
        given,
    )
}

/// Reads a urlencoded form (at most actix's default 16 KiB: console forms are small) and checks its `csrf` field against the secret in cookie `cookie`.
fn posted(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    cookie: &'static str,
) -> Pin<Box<dyn Future<Output = Result<Posted, PageError>>>> {
    let secret = req.cookie(cookie).map(|c| c.value().to_owned());
    let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
    Box::pin(async move {
        // A body that is not a form (none at all, JSON, too large) carries no token: refused as one
        // without it, before anything else is looked at.
        let fields = form.await.map_err(|_| PageError::Csrf)?.into_inner();
        let given = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if csrf_matches(secret.as_deref(), given) {
            Ok(Posted { fields })
        } else {
            Err(PageError::Csrf)
        }
    })
}

impl FromRequest for Posted {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Posted, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        posted(req, payload, SESSION_COOKIE)
    }
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "login.html")]
struct SignIn {
    frame: Frame,
    districts: Vec<(String, String, bool)>,
    username: String,
    error: String,
}

fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    chosen: Option<&str>,
    username: &str,
    error: &str,
) -> Result<(SignIn, Option<Cookie<'static>>), PageError> {
    let (secret, new_cookie) = match req.cookie(SIGN_IN_COOKIE) {
        Some(c) if !c.value().is_empty() => (c.value().to_owned(), None),
        _ => {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            let cookie = strict_cookie(SIGN_IN_COOKIE, secret.clone(), over_tls(req, state));
            (secret, Some(cookie))
        }
    };
    let remembered = req.cookie(DISTRICT_COOKIE).map(|c| c.value().to_owned());
    let chosen = chosen.map(str::to_owned).or(remembered);
    let mut districts: Vec<(String, String, bool)> = state
        .districts
        .all()
        .iter()
        .map(|d| (d.slug.clone(), d.name.clone(), false))
        .collect();
    districts.sort_by(|a, b| a.1.cmp(&b.1));
    districts.push((PLATFORM_DOMAIN.to_owned(), "平台运营".to_owned(), false));
    let selected = districts
        .iter()
        .position(|d| Some(&d.0) == chosen.as_ref())
        .unwrap_or(0);
    if let Some(d) = districts.get_mut(selected) {
        d.2 = true;
    }
    Ok((
        SignIn {
            frame: Frame::public("登录", csrf::token(&secret)),
            districts,
            username: username.to_owned(),
            error: error.to_owned(),
        },
        new_cookie,
    ))
}

/// `GET /`: the sign-in page, the last district chosen.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (form, cookie) = sign_in_page(&state, &req, None, "", "")?;
    let mut response = page(&form)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(ApiError::internal)?;
    }
    Ok(response)
}

/// A sign-in form that is not ours (no token from our page): refused before any password is checked.
pub struct SignInForm(Posted);

impl FromRequest for SignInForm {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<SignInForm, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let form = posted(req, payload, SIGN_IN_COOKIE);
        Box::pin(async move { form.await.map(SignInForm) })
    }
}

/// `POST /console/login`: checks the password through the API's throttle and authentication, then sets
/// the session cookie.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignInForm(form): SignInForm,
) -> Result<HttpResponse, PageError> {
    let address = client_address(&req, &state.settings.security.trusted_proxies());
    let throttle = LoginThrottle::admit(
        &state.store,
        state.settings.security.login_attempts_per_window,
        address,
    )
    .await?;
    let body = LoginRequest {
        tenant: form.get("tenant").trim().to_owned(),
        username: form.get("username").trim().to_owned(),
        password: form.get("password").to_owned(),
    };
    let refused = |message: &str| -> Result<HttpResponse, PageError> {
        let (page_form, _) =
            sign_in_page(&state, &req, Some(&body.tenant), &body.username, message)?;
        let body = page_form.render().map_err(ApiError::internal)?;
        Ok(with_headers(HttpResponse::Unauthorized()).body(body))
    };
    if body.tenant.is_empty() || body.username.is_empty() || body.password.is_empty() {
        return refused("请选择辖区并填写用户名和密码");
    }
    if let Err(ApiError::TooManyRequests { retry_after }) =
        throttle.check_account(&body.tenant, &body.username).await
    {
        return refused(&format!("尝试次数过多，请{retry_after}秒后再试"));
    }
    let Some(session) = authenticate(&state, &body).await? else {
        throttle.failed(&body.tenant, &body.username).await;
        return refused("用户名或密码错误");
    };
    let (token, session) = begin_session(&state, session).await?;
    let secure = over_tls(&req, &state);
    let ttl = session.expires_at - chrono::Utc::now().timestamp();
    let mut cookie = strict_cookie(SESSION_COOKIE, token, secure);
    cookie.set_max_age(CookieAge::seconds(ttl.max(0)));
    let mut district = strict_cookie(DISTRICT_COOKIE, session.domain.clone(), secure);
    district.set_max_age(CookieAge::days(365));
    let mut response = see_other("/console");
    for c in [cookie, district] {
        response.add_cookie(&c).map_err(ApiError::internal)?;
    }
    Ok(response)
}

/// `POST /console/logout`: ends the session on the server and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: Posted,
    who: ConsoleCaller,
) -> Result<HttpResponse, PageError> {
    who.caller.logout(&state).await?;
    let mut gone = strict_cookie(SESSION_COOKIE, String::new(), over_tls(&req, &state));
    gone.make_removal();
    let mut response = see_other("/");
    response.add_cookie(&gone).map_err(ApiError::internal)?;
    Ok(response)
}
