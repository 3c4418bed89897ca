//! Static files built into the binary: the console's stylesheet, the board's and the review's
//! small scripts, and htmx (vendored from the npm
//! package `htmx.org` 2.0.11, 0BSD; `THIRD-PARTY.md`). Each is served at
//! `/static/<name>.<first 16 hex of its SHA-256>.<ext>` with a year-long immutable cache: a new
//! build with other bytes has another URL. Nothing is fetched from elsewhere at run time. The
//! in-browser verifier's files keep fixed URLs (`verifier_assets`).

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// One file and its URL.
#[derive(Debug)]
pub struct Asset {
    pub url: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

fn asset(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
    let hash = hex::encode(Sha256::digest(bytes));
    Asset {
        url: format!("/static/{stem}.{}.{ext}", &hash[..16]),
        bytes,
        content_type,
    }
}

/// The console's stylesheet.
pub static CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "console",
        "css",
        include_bytes!("../../static/console.css"),
        "text/css; charset=utf-8",
    )
});

/// The figures pages' stylesheet (entry, corrections, quarantine, Forms 47/48/49).
pub static FIGURES_CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "figures",
        "css",
        include_bytes!("../../static/figures.css"),
        "text/css; charset=utf-8",
    )
});

/// The printable page of Forms 47, 48 and 49 (`@page { size: A4 }`).
pub static FORM_PRINT_CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "form-print",
        "css",
        include_bytes!("../../static/form-print.css"),
        "text/css; charset=utf-8",
    )
});

/// htmx, for the pages' live parts (every page works without it).
pub static HTMX: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "htmx-2.0.11",
        "min.js",
        include_bytes!("../../static/htmx-2.0.11.min.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The arrival board's live updates (`static/board-live.js`, ours).
pub static BOARD_JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "board-live",
        "js",
        include_bytes!("../../static/board-live.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The review's image viewer: zoom, pan, rotate (`static/image-viewer.js`, ours).
pub static VIEWER_JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "image-viewer",
        "js",
        include_bytes!("../../static/image-viewer.js"),
        "text/javascript; charset=utf-8",
    )
});

/// Register `GET /static/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{file}", web::get().to(serve));
}

async fn serve(file: web::Path<String>, req: HttpRequest) -> HttpResponse {
    if let Some(answer) = super::verifier_assets::serve(&file, &req) {
        return answer;
    }
    let wanted = format!("/static/{file}");
    for a in [
        &*CSS,
        &*HTMX,
        &*BOARD_JS,
        &*VIEWER_JS,
        &*FIGURES_CSS,
        &*FORM_PRINT_CSS,
    ] {
        if a.url == wanted {
            return HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, a.content_type))
                .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(a.bytes);
        }
    }
    HttpResponse::NotFound()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body("no such file")
}
