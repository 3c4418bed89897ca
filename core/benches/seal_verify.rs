//! Sealing and verifying a 4 MB phone photo (criterion).
//!
//! Run: `cargo bench -p tallyseal-core --bench seal_verify`
//! The image is a real 4.2 MB Samsung Galaxy S7 Edge photo from `testdata/` (see SOURCES.md).
//! `sha256_only` is the floor: sealing cannot be faster than hashing the image once.

#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tallyseal_core::demo;
use tallyseal_core::exif::extract_exif;
use tallyseal_core::seal::{ChainState, seal};
use tallyseal_core::sha256;
use tallyseal_core::verify::verify_capture;

fn photo() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/images/phone_gps/samsung_SM-G935L_galaxy_s7edge.jpg");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn bench(c: &mut Criterion) {
    let image = photo();
    let key = demo::device_key();
    let (_, signed) = demo::signed_package().expect("demo package");
    let ctx = demo::context().expect("demo context");
    let input = demo::capture_input(image.clone(), Some(signed.hash()), demo::STATION_1)
        .expect("demo input");
    let sealed = seal(input.clone(), &key, &ChainState::genesis()).expect("seal");

    let mut g = c.benchmark_group("4MB_jpeg");
    g.throughput(Throughput::Bytes(image.len() as u64));
    g.sample_size(30);
    g.bench_function("sha256_only", |b| b.iter(|| sha256(black_box(&image))));
    g.bench_function("exif_extract", |b| {
        b.iter(|| extract_exif(black_box(&image)))
    });
    g.bench_function("dhash", |b| {
        b.iter(|| tallyseal_core::phash::dhash(black_box(&image)))
    });
    g.bench_function("seal", |b| {
        b.iter_batched(
            || input.clone(),
            |i| seal(i, &key, &ChainState::genesis()),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            verify_capture(
                &sealed.manifest_bytes,
                &sealed.signature,
                Some(&sealed.image),
                &ctx,
            )
        })
    });
    g.bench_function("seal_and_verify", |b| {
        b.iter_batched(
            || input.clone(),
            |i| {
                let s = seal(i, &key, &ChainState::genesis()).expect("seal");
                verify_capture(&s.manifest_bytes, &s.signature, Some(&s.image), &ctx)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();

    // The intake benchmark's captures: the synthetic camera's ~2 MB sheet photo.
    let synthetic = tallyseal_testkit::camera::photograph(
        &tallyseal_testkit::camera::PhotoSpec::phone(31.52, 74.36, demo::CAPTURE_MS, 300, 1)
            .with_size_mb(2),
    );
    let mut g = c.benchmark_group("synthetic_2mb_jpeg");
    g.throughput(Throughput::Bytes(synthetic.len() as u64));
    g.sample_size(20);
    g.bench_function("dhash", |b| {
        b.iter(|| tallyseal_core::phash::dhash(black_box(&synthetic)))
    });
    g.bench_function("sha256_only", |b| b.iter(|| sha256(black_box(&synthetic))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
