//! The tree rebuilt from the published entries, compared with the published tiles and the
//! signed root.
//!
//! Every entry bundle of the tree (`tile/entries/<N>[.p/<W>]`) is downloaded and its entries
//! hashed into a fresh [`MemoryHashStore`]; the root must be the checkpoint's. Every hash tile of
//! the tree (`tile/<L>/<N>[.p/<W>]`) is then downloaded and compared byte for byte with the tile
//! the entries give; a difference names the tile and the hash (for level 0, the entry index).
//! Each run reads the whole log (O(size)); an incremental monitor that keeps the tree's right
//! edge between runs is not built.

use tallyseal_core::log::merkle::{Hash, MemoryHashStore, hash_to_base64};
use tallyseal_core::log::tiles::{
    FULL_TILE_WIDTH, TileCoord, decode_entry_bundle, new_tiles, tile_data,
};

use crate::MonitorError;
use crate::finding::{Finding, FindingKind};
use crate::source::LogSource;

/// The entries of the tree, and their stored hashes.
#[derive(Debug)]
pub struct RebuiltTree {
    pub store: MemoryHashStore,
    pub entries: Vec<Vec<u8>>,
    /// Whether the entries hash to the checkpoint's root.
    pub root_matches: bool,
}

fn bundle_coord(k: u64, size: u64) -> TileCoord {
    let start = k * u64::from(FULL_TILE_WIDTH);
    let width = (size - start).min(u64::from(FULL_TILE_WIDTH));
    TileCoord {
        level: None,
        index: k,
        width: u32::try_from(width).unwrap_or(FULL_TILE_WIDTH),
    }
}

fn path(coord: TileCoord) -> Result<String, MonitorError> {
    coord
        .path()
        .map(|p| format!("log/{p}"))
        .map_err(|e| MonitorError::Tree(e.to_string()))
}

/// Download the entries of the tree of `size` leaves and check them and every tile against
/// `root`. Findings are added to `findings`; `None` when the entries cannot all be read.
pub fn rebuild(
    source: &dyn LogSource,
    size: u64,
    root: Hash,
    findings: &mut Vec<Finding>,
) -> Result<Option<RebuiltTree>, MonitorError> {
    let mut store = MemoryHashStore::new();
    let mut entries = Vec::new();
    let bundles = size.div_ceil(u64::from(FULL_TILE_WIDTH));
    for k in 0..bundles {
        let coord = bundle_coord(k, size);
        let p = path(coord)?;
        let Some(bytes) = source.get(&p)? else {
            findings.push(Finding::new(
                FindingKind::Entries,
                format!("entry bundle {p} is missing"),
            ));
            return Ok(None);
        };
        let decoded = match decode_entry_bundle(&bytes) {
            Ok(d) => d,
            Err(e) => {
                findings.push(Finding::new(
                    FindingKind::Entries,
                    format!("entry bundle {p} is malformed: {e}"),
                ));
                return Ok(None);
            }
        };
        if decoded.len() != coord.width as usize {
            findings.push(Finding::new(
                FindingKind::Entries,
                format!(
                    "entry bundle {p} has {} entries, not {}",
                    decoded.len(),
                    coord.width
                ),
            ));
            return Ok(None);
        }
        for e in decoded {
            store
                .append(e)
                .map_err(|e| MonitorError::Tree(e.to_string()))?;
            entries.push(e.to_vec());
        }
    }
    let computed = store
        .root()
        .map_err(|e| MonitorError::Tree(e.to_string()))?;
    let root_matches = computed == root;
    let mut tile_differs = false;
    for coord in new_tiles(0, size).map_err(|e| MonitorError::Tree(e.to_string()))? {
        let p = path(coord)?;
        let expected =
            tile_data(coord, size, &store).map_err(|e| MonitorError::Tree(e.to_string()))?;
        let Some(published) = source.get(&p)? else {
            findings.push(Finding::new(
                FindingKind::Tile,
                format!("tile {p} is missing"),
            ));
            tile_differs = true;
            continue;
        };
        if published == expected {
            continue;
        }
        tile_differs = true;
        let at = published
            .chunks(32)
            .zip(expected.chunks(32))
            .position(|(a, b)| a != b)
            .unwrap_or(published.len().min(expected.len()) / 32);
        let level = coord.level.unwrap_or(0);
        let message = if root_matches {
            format!(
                "tile {p} does not hash to the checkpoint: hash {at} differs from the one the \
                 entries and the signed root give"
            )
        } else if level == 0 {
            let entry = coord.index * u64::from(FULL_TILE_WIDTH) + at as u64;
            format!(
                "entry {entry} (in {}) does not match tile {p}, and the entries do not hash to \
                 the checkpoint's root: the entry bundle was changed",
                path(bundle_coord(coord.index, size))?
            )
        } else {
            format!("tile {p} differs at hash {at} from the tree the entries give")
        };
        let kind = if root_matches || level != 0 {
            FindingKind::Tile
        } else {
            FindingKind::Entries
        };
        findings.push(Finding::new(kind, message));
    }
    if !root_matches && !tile_differs {
        findings.push(Finding::new(
            FindingKind::Fork,
            format!(
                "the published entries and tiles give the root {} for size {size}, but the \
                 checkpoint signs {}: the checkpoint is for another tree",
                hash_to_base64(&computed),
                hash_to_base64(&root)
            ),
        ));
    }
    Ok(Some(RebuiltTree {
        store,
        entries,
        root_matches,
    }))
}
