//! The local object store's folder: objects at `<data_dir>/objects/sha256/ab/<hex>` (one
//! `objects/`), and a data directory of the earlier nested layout (`<data_dir>/objects/objects/…`)
//! moved into place when the server starts, nothing lost.

use std::sync::Arc;

use tallyseal_core::hash::sha256;
use tallyseal_core::receipt::ReceiptStatus;

use crate::helpers::*;

/// `<data_dir>/objects/sha256/ab/<hex>` for `bytes`.
fn object_path(data_dir: &std::path::Path, bytes: &[u8]) -> std::path::PathBuf {
    let hex = sha256(bytes).to_hex();
    data_dir.join("objects/sha256").join(&hex[..2]).join(hex)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_layout_data_dir_is_moved_into_place_and_its_objects_served() {
    let test = "local_layout::an_old_layout_data_dir_is_moved_into_place_and_its_objects_served";
    let Some((config, dir)) = test_config(Db::Sqlite, Store::Local, test).await else {
        return;
    };
    // A data directory as the earlier server left it: the image's object one `objects/` too deep.
    let image = jpeg();
    let hex = sha256(&image).to_hex();
    let old_root = config.data_dir.join("objects/objects");
    let old = old_root.join("sha256").join(&hex[..2]).join(&hex);
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, &image).unwrap();

    let app = TestApp::start(config, Arc::new(dir)).await;
    let data_dir = app.config.data_dir.clone();
    assert_eq!(
        std::fs::read(object_path(&data_dir, &image)).unwrap(),
        image
    );
    assert!(!old_root.exists(), "the old tree is gone");
    assert_eq!(app.object_of(&image).await.as_deref(), Some(&image[..]));

    // The server serves it: a capture of that image is verified and analysed (the analysis reads
    // the image from the store), and the object is still the one file.
    app.import_demo_package().await;
    let (_, sealed) = app.first_capture_sent(&image).await;
    let r = app.create_with(&sealed, image.clone()).await;
    assert_eq!(r.status(), 201);
    let receipt = receipt_header(&r).expect("the completing answer carries the receipt");
    assert_eq!(receipt.body.status, ReceiptStatus::Verified);
    let analysed = app.analysed_status(&sealed).await;
    assert_eq!(analysed["status"], "verified", "{analysed}");
    assert_eq!(
        std::fs::read(object_path(&data_dir, &image)).unwrap(),
        image
    );
    assert!(!old_root.exists());
}

/// A fresh data directory: every object (the image and its manifest) under one `objects/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_live_under_one_objects_folder() {
    let test = "local_layout::objects_live_under_one_objects_folder";
    let Some(app) = spawn_app(Db::Sqlite, Store::Local, test).await else {
        return;
    };
    let image = jpeg();
    let (_, sealed) = app.first_capture_sent(&image).await;
    assert_eq!(app.create_with(&sealed, image.clone()).await.status(), 201);
    app.analysed_status(&sealed).await;
    let data_dir = &app.config.data_dir;
    assert_eq!(std::fs::read(object_path(data_dir, &image)).unwrap(), image);
    assert_eq!(
        std::fs::read(object_path(data_dir, &sealed.manifest_bytes)).unwrap(),
        sealed.manifest_bytes
    );
    assert!(!data_dir.join("objects/objects").exists());
}

/// The old nested folder moved to a bigger disk and linked back: the server does not start with
/// those objects invisible; it says which path and what to do, and deletes nothing.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_old_layout_folder_stops_the_start() {
    let test = "local_layout::a_linked_old_layout_folder_stops_the_start";
    let Some((config, _dir)) = test_config(Db::Sqlite, Store::Local, test).await else {
        return;
    };
    let disk = tempfile::tempdir().unwrap();
    let image = jpeg();
    let hex = sha256(&image).to_hex();
    let moved = disk.path().join("sha256").join(&hex[..2]).join(&hex);
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::write(&moved, &image).unwrap();
    let objects = config.data_dir.join("objects");
    std::fs::create_dir_all(&objects).unwrap();
    let link = objects.join("objects");
    std::os::unix::fs::symlink(disk.path(), &link).unwrap();

    let e = match tallyseal_server::startup::Application::build(config.clone()).await {
        Ok(_) => panic!("the server started with the old folder linked"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&link.display().to_string()), "{e}");
    assert!(e.contains("symbolic link"), "{e}");
    assert!(
        e.contains(&objects.join("sha256").display().to_string()),
        "{e}"
    );
    assert_eq!(std::fs::read(&moved).unwrap(), image);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
