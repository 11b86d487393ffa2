//! Static files: the web map's root and, from the data folder, only what the map draws (the
//! countries and the offline basemap) and the provenance README. Nothing else of the data
//! folder is public, no dotfile is served, nothing outside a root is reached through a
//! symlink, and directories are never listed or redirected.

use super::AppState;
use crate::config::Settings;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::path::Path;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};

/// The static routes.
pub fn router(settings: &Settings) -> Router<AppState> {
    let data = &settings.data;
    let web = ServeDir::new(&settings.web).append_index_html_on_directories(false);
    Router::new()
        .route_service("/", ServeFile::new(settings.web.join("index.html")))
        .route_service(
            "/data/countries.geojson",
            ServeFile::new(data.join("countries.geojson")),
        )
        .route_service("/data/README.md", ServeFile::new(data.join("README.md")))
        .nest_service(
            "/data/basemap",
            ServeDir::new(data.join("basemap")).append_index_html_on_directories(false),
        )
        .fallback_service(web)
}

/// Whether `path` (the request path) names a file strikemap may serve: no empty, dot or
/// dot-dot segment, and, once resolved, a regular file inside the root it is served from.
fn allowed(settings: &Settings, path: &str) -> bool {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return true;
    }
    let decoded = percent_decode(trimmed);
    let Some(decoded) = decoded else {
        return false;
    };
    if decoded
        .split('/')
        .any(|s| s.is_empty() || s.starts_with('.'))
        || decoded.contains('\\')
    {
        return false;
    }
    let (root, relative): (&Path, &str) = match decoded.strip_prefix("data/") {
        Some(relative) => (&settings.data, relative),
        None => (&settings.web, decoded.as_str()),
    };
    let (Ok(root), Ok(file)) = (
        std::fs::canonicalize(root),
        std::fs::canonicalize(root.join(relative)),
    ) else {
        // Not there: let the file service answer 404.
        return true;
    };
    file.starts_with(&root) && file.is_file()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Security-Policy of the page: everything from this origin (MapLibre needs blob:
/// workers and images, and the page sets inline styles); an online basemap style needs its
/// https sources.
fn csp(settings: &Settings) -> String {
    let remote = if settings.basemap_style.is_some() {
        " https:"
    } else {
        ""
    };
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; \
         img-src 'self' data: blob:{remote}; style-src 'self' 'unsafe-inline'; \
         connect-src 'self'{remote}; font-src 'self'{remote}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Refuses static paths that are not allowed (404, as for a missing file) and sets the
/// security and cache headers on every answer.
pub async fn headers(
    State(settings): State<Arc<Settings>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let is_api = path.starts_with("/api") || path == "/config.json";
    if !is_api && !allowed(&settings, &path) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(value) = HeaderValue::from_str(&csp(&settings)) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // HTML and text always say their encoding.
    let kind = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    const TEXT: &[&str] = &["text/html", "text/markdown", "text/css", "text/javascript"];
    if let Some(kind) = kind
        && TEXT.contains(&kind.as_str())
        && let Ok(value) = HeaderValue::from_str(&format!("{kind}; charset=utf-8"))
    {
        h.insert(header::CONTENT_TYPE, value);
    }
    if is_api {
        // Editors' answers carry what the public's do not.
        h.append(header::VARY, HeaderValue::from_static("Authorization"));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        let policy = if path.starts_with("/vendor/") {
            // Pinned third-party assets change only with a release.
            "public, max-age=604800"
        } else if is_api {
            "no-cache"
        } else {
            // The page and its scripts: revalidate (ETag / Last-Modified) on every load.
            "no-cache"
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::allowed;
    use crate::config::Settings;
    use std::path::PathBuf;

    #[test]
    fn only_files_inside_their_root_and_no_dotfiles() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut settings = Settings::with_data(root.join("data"));
        settings.web = root.join("web");
        assert!(allowed(&settings, "/index.html"));
        assert!(allowed(&settings, "/vendor/maplibre-gl/maplibre-gl.mjs"));
        assert!(allowed(&settings, "/data/basemap/lakes.geojson"));
        assert!(!allowed(&settings, "/.git/config"));
        assert!(!allowed(&settings, "/js/.hidden"));
        assert!(!allowed(&settings, "//vendor"));
        assert!(!allowed(&settings, "/%2e%2e/Cargo.toml"));
        assert!(!allowed(&settings, "/vendor"), "a directory is not a file");
    }
}
