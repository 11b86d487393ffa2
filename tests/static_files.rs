//! Static serving: only the web root and the map's files from the data folder; no dotfiles,
//! no symlink out of the root, no directory redirects; security, charset and cache headers.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use strikemap::config::Settings;

#[cfg(unix)]
#[tokio::test]
async fn only_what_the_map_needs_is_served_with_the_right_headers() {
    let web = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("web/index.html"), web.path().join("index.html")).unwrap();
    std::fs::create_dir(web.path().join("vendor")).unwrap();
    std::fs::write(web.path().join("vendor/lib.js"), "export {};").unwrap();
    std::fs::write(web.path().join(".env"), "SECRET=1").unwrap();
    std::os::unix::fs::symlink(root.join("Cargo.toml"), web.path().join("escape.txt")).unwrap();
    let mut settings = Settings::with_data(common::fixture_dir());
    settings.web = web.path().to_path_buf();
    let server = common::TestServer::start_with(settings).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| client.get(format!("{}{path}", server.base)).send();

    let page = get("/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-cache");

    let vendor = get("/vendor/lib.js").await.unwrap();
    assert_eq!(vendor.status(), 200);
    assert!(
        vendor.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );

    for hidden in [
        "/.env",
        "/%2eenv",
        "/escape.txt",
        "/data/incidents.geojson",
        "/data/sources/hrw-barda-2020-10-28.json",
        "/data/../Cargo.toml",
    ] {
        let response = get(hidden).await.unwrap();
        assert_eq!(response.status(), 404, "{hidden}");
    }
    for directory in ["/vendor", "//vendor", "/vendor/"] {
        let response = get(directory).await.unwrap();
        assert!(
            response.headers().get("location").is_none(),
            "{directory} redirects"
        );
        assert_eq!(response.status(), 404, "{directory}");
    }
    // What the map draws from the data folder is there.
    assert_eq!(get("/data/countries.geojson").await.unwrap().status(), 200);
    assert_eq!(
        get("/data/README.md").await.unwrap().status(),
        404,
        "fixtures have no README"
    );
}
