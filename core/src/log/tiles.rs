//! C2SP tlog-tiles resource paths and entry bundles (https://c2sp.org/tlog-tiles).
//!
//! Tile geometry (which tiles a new tree size needs, tile coordinates) is `tlog_tiles`' port of
//! Go's sumdb tiles, with height [`TILE_HEIGHT`] = 8 (256 hashes a tile). Go's paths carry the
//! height (`tile/8/0/x001/234.p/5`, data tiles `tile/8/data/…`); C2SP tlog-tiles drops it
//! (`tile/0/x001/234.p/5`) and names data tiles `tile/entries/…`. This module converts between the
//! two, so every path goes through the crate's own formatting and strict parsing.
//!
//! An entry bundle is the sequence of a data tile's entries, each prefixed by its length as a
//! big-endian `u16`, so an entry is at most [`MAX_ENTRY_BYTES`] bytes.
//!
//! Pure: no I/O; bad paths and bundles are errors, never panics.

use tlog_tiles::Tile;

/// Tile height: a full tile holds 2^8 = 256 hashes or entries.
pub const TILE_HEIGHT: u8 = 8;

/// Width of a full tile.
pub const FULL_TILE_WIDTH: u32 = 1 << TILE_HEIGHT;

/// Largest entry an entry bundle can carry (its length is a `u16`).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// Highest tile level (a tree of at most 2^64 − 1 leaves has fewer than 64 / 8 = 8 levels).
pub const MAX_LEVEL: u8 = 7;

/// A tile: a level of the tree (or the entries), an index within it, and a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCoord {
    /// `None` for an entry bundle, `Some(level)` for a hash tile.
    pub level: Option<u8>,
    /// Index of the tile within its level.
    pub index: u64,
    /// How many hashes or entries it holds (1..=256; 256 is a full tile).
    pub width: u32,
}

/// Why a tile path or entry bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("not a tile path: {0:?}")]
    BadPath(String),
    #[error("tile level {0} is above the highest level {MAX_LEVEL}")]
    BadLevel(u8),
    #[error("tile width {0} is not between 1 and {FULL_TILE_WIDTH}")]
    BadWidth(u32),
    #[error("an entry of {0} bytes is larger than the limit of {MAX_ENTRY_BYTES} bytes")]
    EntryTooLarge(usize),
    #[error("the entry bundle is truncated")]
    TruncatedBundle,
    #[error("the entry bundle has more than {FULL_TILE_WIDTH} entries")]
    TooManyEntries,
    #[error("a tree of {0} leaves is larger than tiles are computed for ({MAX_TILED_SIZE})")]
    TreeTooLarge(u64),
    #[error("tile {level}/{index} of width {width} is not in the tree of {tree_size} leaves")]
    NotInTree {
        level: u32,
        index: u64,
        width: u32,
        tree_size: u64,
    },
    #[error("the tree cannot shrink from {old_size} to {new_size} leaves")]
    Shrinks { old_size: u64, new_size: u64 },
}

impl TileCoord {
    fn to_crate_tile(self) -> Result<Tile, TileError> {
        if !(1..=FULL_TILE_WIDTH).contains(&self.width) {
            return Err(TileError::BadWidth(self.width));
        }
        let level = self.level.unwrap_or(0);
        if level > MAX_LEVEL {
            return Err(TileError::BadLevel(level));
        }
        // The checks above are exactly `Tile::new`'s preconditions (height 8 is in 1..=30).
        Ok(Tile::new(
            TILE_HEIGHT,
            level,
            self.index,
            self.width,
            self.level.is_none(),
        ))
    }

    fn from_crate_tile(tile: &Tile) -> Self {
        Self {
            level: if tile.is_data() {
                None
            } else {
                Some(tile.level())
            },
            index: tile.level_index(),
            width: tile.width(),
        }
    }

    /// The C2SP path: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(self) -> Result<String, TileError> {
        let go_path = self.to_crate_tile()?.path();
        let rest = go_path
            .strip_prefix("tile/8/")
            .ok_or_else(|| TileError::BadPath(go_path.clone()))?;
        Ok(match rest.strip_prefix("data/") {
            Some(n) => format!("tile/entries/{n}"),
            None => format!("tile/{rest}"),
        })
    }

    /// Parse a C2SP tile path (strictly: the path must be exactly what [`Self::path`] gives).
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let bad = || TileError::BadPath(path.to_string());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        // `Tile::from_path` panics (through `Tile::new`'s assertion) on a level above 63 or a
        // width of 0, so both are checked here first.
        let (first, _) = rest.split_once('/').ok_or_else(bad)?;
        if first != "entries" {
            let level: u8 = first.parse().map_err(|_| bad())?;
            if level > MAX_LEVEL || first != level.to_string() {
                return Err(bad());
            }
        }
        if let Some((_, width)) = rest.split_once(".p/") {
            let width: u32 = width.parse().map_err(|_| bad())?;
            if !(1..FULL_TILE_WIDTH).contains(&width) {
                return Err(bad());
            }
        }
        let go_path = match rest.strip_prefix("entries/") {
            Some(n) => format!("tile/8/data/{n}"),
            None => format!("tile/8/{rest}"),
        };
        let tile = Tile::from_path(&go_path).map_err(|_| bad())?;
        let coord = Self::from_crate_tile(&tile);
        if coord.level.is_some_and(|l| l > MAX_LEVEL) {
            return Err(bad());
        }
        Ok(coord)
    }
}

/// Largest tree size [`new_tiles`] accepts: `Tile::new_tiles` shifts by 8 × level, which
/// overflows for trees of 2^56 leaves or more.
pub const MAX_TILED_SIZE: u64 = (1 << 56) - 1;

/// The hash tiles to publish when the tree grows from `old_size` to `new_size` leaves (each
/// partial tile with its width; full tiles once). The entry bundles are the level-0 tiles' twins.
/// The list has one element per new tile, so grow in steps the caller can hold in memory.
pub fn new_tiles(old_size: u64, new_size: u64) -> Result<Vec<TileCoord>, TileError> {
    if new_size > MAX_TILED_SIZE {
        return Err(TileError::TreeTooLarge(new_size));
    }
    if old_size > new_size {
        return Err(TileError::Shrinks { old_size, new_size });
    }
    Ok(Tile::new_tiles(TILE_HEIGHT, old_size, new_size)
        .iter()
        .map(TileCoord::from_crate_tile)
        .collect())
}

/// The stored-hash indexes of a hash tile's hashes, in the tile's order (for a level-`L` tile `N`
/// of width `W`: the subtree hashes at tree level `8L`, indexes `256N .. 256N + W`). Entry tiles
/// have none: their content is the entries themselves.
pub fn tile_hash_indexes(coord: TileCoord) -> Result<Vec<u64>, TileError> {
    coord.to_crate_tile()?;
    let Some(level) = coord.level else {
        return Ok(Vec::new());
    };
    let first = coord
        .index
        .checked_mul(u64::from(FULL_TILE_WIDTH))
        .ok_or(TileError::TreeTooLarge(coord.index))?;
    Ok((0..u64::from(coord.width))
        .map(|j| tlog_tiles::stored_hash_index(level * TILE_HEIGHT, first + j))
        .collect())
}

/// The width the tile `(level, index)` has in a tree of `size` leaves: 0 when the tree does not
/// reach it, [`FULL_TILE_WIDTH`] when it is full. `level` `None` is the entry tile.
pub fn tile_width_at(level: Option<u8>, index: u64, size: u64) -> u32 {
    let shift = u32::from(level.unwrap_or(0)) * u32::from(TILE_HEIGHT);
    let hashes = size.checked_shr(shift).unwrap_or(0);
    let start = index.saturating_mul(u64::from(FULL_TILE_WIDTH));
    let width = hashes.saturating_sub(start).min(u64::from(FULL_TILE_WIDTH));
    u32::try_from(width).unwrap_or(FULL_TILE_WIDTH)
}

/// The bytes of hash tile `coord` (its `width` hashes, 32 bytes each) of the tree of the first
/// `tree_size` leaves held by `store`: what a log publishes at [`TileCoord::path`], and what a
/// monitor recomputes to compare with it. Entry-bundle coordinates (level `None`) are refused.
pub fn tile_data(
    coord: TileCoord,
    tree_size: u64,
    store: &crate::log::merkle::MemoryHashStore,
) -> Result<Vec<u8>, TileError> {
    if coord.level.is_none() {
        return Err(TileError::BadPath(
            "an entry bundle is not a hash tile".into(),
        ));
    }
    let tile = coord.to_crate_tile()?;
    // The tile's last hash must exist in the tree of `tree_size` leaves.
    let level = u32::from(coord.level.unwrap_or(0));
    let not_in_tree = || TileError::NotInTree {
        level,
        index: coord.index,
        width: coord.width,
        tree_size,
    };
    let first_leaf_past = 1u64
        .checked_shl(level * u32::from(TILE_HEIGHT))
        .and_then(|per| {
            coord
                .index
                .checked_mul(u64::from(FULL_TILE_WIDTH))?
                .checked_add(u64::from(coord.width))?
                .checked_mul(per)
        })
        .ok_or_else(not_in_tree)?;
    if tree_size > store.size() || first_leaf_past > tree_size {
        return Err(not_in_tree());
    }
    tile.read_data(store).map_err(|_| not_in_tree())
}

/// Encode entries as an entry bundle (big-endian `u16` length, then the bytes, for each entry).
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    if entries.len() > FULL_TILE_WIDTH as usize {
        return Err(TileError::TooManyEntries);
    }
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge(e.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decode an entry bundle into its entries (at most [`FULL_TILE_WIDTH`]).
pub fn decode_entry_bundle(mut bundle: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut entries = Vec::new();
    while !bundle.is_empty() {
        if entries.len() == FULL_TILE_WIDTH as usize {
            return Err(TileError::TooManyEntries);
        }
        let (len, rest) = bundle
            .split_at_checked(2)
            .ok_or(TileError::TruncatedBundle)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (entry, rest) = rest
            .split_at_checked(len)
            .ok_or(TileError::TruncatedBundle)?;
        entries.push(entry);
        bundle = rest;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2sp_example_paths() {
        let t = TileCoord {
            level: Some(0),
            index: 1_234_067,
            width: 256,
        };
        assert_eq!(t.path().unwrap(), "tile/0/x001/x234/067");
        let e = TileCoord {
            level: None,
            index: 1_234_067,
            width: 8,
        };
        assert_eq!(e.path().unwrap(), "tile/entries/x001/x234/067.p/8");
        for c in [t, e] {
            assert_eq!(TileCoord::parse_path(&c.path().unwrap()).unwrap(), c);
        }
    }

    #[test]
    fn bad_paths_and_coords_are_refused() {
        for bad in [
            "tile/0/1",
            "tile/0/001.p/256",
            "tile/0/001.p/0",
            "tile/8/0/001",
            "tile/entries/x001",
            "tile/9/000",
            "tile//000",
            "tiles/0/000",
            "tile/0/x000/001",
            "tile/64/000",
            "tile/200/000",
            "tile/0/000.p/0",
            "tile/entries/000.p/0",
            "tile/0/000.p/",
            "tile/00/000",
            "tile/0/000.p/256",
        ] {
            assert!(TileCoord::parse_path(bad).is_err(), "{bad}");
        }
        let mut c = TileCoord {
            level: Some(8),
            index: 0,
            width: 1,
        };
        assert_eq!(c.path(), Err(TileError::BadLevel(8)));
        c.level = Some(0);
        c.width = 0;
        assert_eq!(c.path(), Err(TileError::BadWidth(0)));
    }

    #[test]
    fn new_tiles_for_growth() {
        let tiles = new_tiles(0, 257).unwrap();
        assert_eq!(
            tiles,
            vec![
                TileCoord {
                    level: Some(0),
                    index: 0,
                    width: 256
                },
                TileCoord {
                    level: Some(0),
                    index: 1,
                    width: 1
                },
                TileCoord {
                    level: Some(1),
                    index: 0,
                    width: 1
                },
            ]
        );
        assert!(new_tiles(5, 5).unwrap().is_empty());
        assert_eq!(
            new_tiles(6, 5),
            Err(TileError::Shrinks {
                old_size: 6,
                new_size: 5
            })
        );
        assert_eq!(
            new_tiles(0, u64::MAX),
            Err(TileError::TreeTooLarge(u64::MAX))
        );
        assert!(
            !new_tiles(MAX_TILED_SIZE - 1, MAX_TILED_SIZE)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn tile_data_is_the_stored_hashes_of_the_tile() {
        let mut store = crate::log::merkle::MemoryHashStore::new();
        for i in 0u32..300 {
            store.append(&i.to_be_bytes()).unwrap();
        }
        let full = TileCoord {
            level: Some(0),
            index: 0,
            width: 256,
        };
        let data = tile_data(full, 300, &store).unwrap();
        assert_eq!(data.len(), 256 * 32);
        assert_eq!(
            &data[..32],
            &crate::log::merkle::leaf_hash(&0u32.to_be_bytes()).0
        );
        let partial = TileCoord {
            level: Some(0),
            index: 1,
            width: 44,
        };
        assert_eq!(tile_data(partial, 300, &store).unwrap().len(), 44 * 32);
        // The level-1 tile's one hash is the root of the first 256 leaves.
        let up = TileCoord {
            level: Some(1),
            index: 0,
            width: 1,
        };
        assert_eq!(
            tile_data(up, 300, &store).unwrap(),
            store.root_at(256).unwrap().0.to_vec()
        );
        for bad in [
            TileCoord {
                level: Some(0),
                index: 1,
                width: 45,
            },
            TileCoord {
                level: Some(1),
                index: 0,
                width: 2,
            },
            TileCoord {
                level: None,
                index: 0,
                width: 1,
            },
            TileCoord {
                level: Some(7),
                index: u64::MAX,
                width: 256,
            },
        ] {
            assert!(tile_data(bad, 300, &store).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_truncation() {
        let entries: Vec<&[u8]> = vec![b"", b"abc", &[0u8; 300]];
        let bundle = encode_entry_bundle(&entries).unwrap();
        assert_eq!(decode_entry_bundle(&bundle).unwrap(), entries);
        assert_eq!(
            decode_entry_bundle(&bundle[..bundle.len() - 1]),
            Err(TileError::TruncatedBundle)
        );
        assert_eq!(decode_entry_bundle(&[0]), Err(TileError::TruncatedBundle));
        let big = vec![0u8; MAX_ENTRY_BYTES + 1];
        assert_eq!(
            encode_entry_bundle(&[big]),
            Err(TileError::EntryTooLarge(MAX_ENTRY_BYTES + 1))
        );
        let many = vec![[0u8, 0u8]; 257].concat();
        assert_eq!(decode_entry_bundle(&many), Err(TileError::TooManyEntries));
    }
}
