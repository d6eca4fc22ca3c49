//! The console's static files, compiled into the binary (no CDN, nothing to deploy beside it). Pages link
//! them with their content hash in the URL (`/assets/console.css?v=…`), so a hashed URL is cached for a
//! year and a new build is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One file: its name under `/assets/`, its type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: [Asset; 4] = [
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/console.js"),
    },
    // htmx 2.0.11 from the npm registry (`npm pack htmx.org@2`, dist/htmx.min.js), licence in htmx.LICENSE.
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/htmx.min.js"),
    },
    Asset {
        name: "htmx.LICENSE",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../assets/htmx.LICENSE"),
    },
];

/// The first 12 hex digits of each file's SHA-256, in `FILES` order.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|f| hex::encode(Sha256::digest(f.bytes))[..12].to_owned())
        .collect()
});

/// The versioned URL of an asset (`name` must be one of the compiled-in files).
pub fn url(name: &str) -> String {
    match FILES.iter().position(|f| f.name == name) {
        Some(i) => format!("/assets/{name}?v={}", VERSIONS[i]),
        None => format!("/assets/{name}"),
    }
}

#[derive(Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /assets/{name}`: immutable for a year under its current hash, revalidated otherwise.
pub async fn serve(
    req: HttpRequest,
    name: web::Path<String>,
    query: web::Query<AssetQuery>,
) -> HttpResponse {
    let Some(i) = FILES.iter().position(|f| f.name == name.as_str()) else {
        return super::views::not_found(&req);
    };
    let (file, version) = (&FILES[i], &VERSIONS[i]);
    let etag = format!("\"{version}\"");
    let cache = if query.v.as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        response.finish()
    } else {
        response.content_type(file.content_type).body(file.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url("console.css");
        assert!(css.starts_with("/assets/console.css?v="));
        assert_eq!(css.len(), "/assets/console.css?v=".len() + 12);
        assert_ne!(url("console.js"), url("htmx.min.js"));
    }
}
