//! The local store's folder layout, and the move from the earlier nested one.
//!
//! Objects live at `<root>/sha256/ab/<hex>`, `<root>` being `<data_dir>/objects` by default. Until
//! this layout the local store kept the whole object key under its folder, so objects sat at
//! `<root>/objects/sha256/ab/<hex>` (`<data_dir>/objects/objects/…`, not the documented
//! `<data_dir>/objects/sha256/…`). At open, [`move_nested_objects`] moves such a tree into place:
//! with one `rename` when nothing is in the new place yet (atomic), otherwise object by object
//! (link the name into the new place, fsync, then remove the old name), so a stop at any instant
//! leaves every object under at least one of the two names, and running it again finishes the
//! job. The S3 keys (`objects/sha256/ab/<hex>` under the prefix) are not changed.
//!
//! It must never lose or overwrite an object: a name found in both places with different bytes
//! (which content addressing rules out unless a file was damaged) keeps both, the old one left
//! where it was and logged; anything else it does not recognise (a symbolic link, say: an
//! operator who moved the old folder to a bigger disk) is left in place and logged. The store then
//! refuses to open while the old folder is anything but gone ([`refuse_nested_leftovers`]): a
//! server started with objects it cannot see would answer as if they had never arrived.

use std::fs;
use std::io;
use std::path::Path;

use crate::store::{StoreError, sync_dir};

/// The folder, under the store's root, that holds the objects (`sha256/ab/<hex>`).
pub(crate) const OBJECTS_DIR: &str = "sha256";

/// Where the earlier layout kept the objects' folder, under the store's root.
const NESTED_PARENT: &str = "objects";

/// What a move found and did (for the log and the tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayoutMove {
    /// The whole old tree was renamed into place.
    pub renamed_tree: bool,
    /// Objects moved one by one (linked into the new place, old name removed).
    pub moved: u64,
    /// Objects already in the new place with the same bytes (old name removed).
    pub duplicates: u64,
    /// Names left in the old tree: same name, different bytes, or not a regular file.
    pub left: u64,
}

/// Move a nested-layout tree under `root` (`root/objects/sha256/…`) to `root/sha256/…`;
/// nothing to do when there is none. Logged when it moves anything.
pub(crate) fn move_nested_objects(root: &Path) -> Result<LayoutMove, StoreError> {
    let nested_parent = root.join(NESTED_PARENT);
    let nested = nested_parent.join(OBJECTS_DIR);
    let target = root.join(OBJECTS_DIR);
    let mut done = LayoutMove::default();
    if !is_dir(&nested_parent)? {
        return Ok(done);
    }
    if is_dir(&nested)? {
        if !exists(&target)? {
            fs::rename(&nested, &target)?;
            sync_dir(root)?;
            sync_dir(&nested_parent)?;
            done.renamed_tree = true;
        } else {
            merge_tree(&nested, &target, &mut done)?;
        }
    }
    // The old `objects/` folder goes once empty (it always existed: the store created it).
    match fs::remove_dir(&nested_parent) {
        Ok(()) => sync_dir(root)?,
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            log::warn!(
                "object store: {} is not empty after moving its objects; left in place",
                nested_parent.display()
            );
        }
        Err(e) => return Err(e.into()),
    }
    if done.renamed_tree || done.moved > 0 || done.duplicates > 0 {
        log::info!(
            "object store: moved the objects under {} to {} (earlier nested layout): {}",
            nested.display(),
            target.display(),
            if done.renamed_tree {
                "whole tree renamed".to_owned()
            } else {
                format!(
                    "{} moved, {} already there, {} left in place",
                    done.moved, done.duplicates, done.left
                )
            }
        );
    }
    Ok(done)
}

/// Refuse to go on while `root/objects` (the earlier layout's folder) is still there after
/// [`move_nested_objects`]: a symbolic link or other non-folder in its place, or a folder still
/// holding anything. The error names the path and what to do; nothing is touched.
pub(crate) fn refuse_nested_leftovers(root: &Path) -> Result<(), StoreError> {
    let nested_parent = root.join(NESTED_PARENT);
    let meta = match fs::symlink_metadata(&nested_parent) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let found = if meta.file_type().is_symlink() {
        let target = fs::read_link(&nested_parent)
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        format!("is a symbolic link{target}, which the move of the earlier layout does not follow")
    } else if !meta.is_dir() {
        "is not a folder".to_owned()
    } else {
        let Some(entry) = fs::read_dir(&nested_parent)?.next() else {
            // Emptied since the move (it removes an empty one itself): nothing is hidden.
            return Ok(());
        };
        let entry = entry?;
        let link = if entry.file_type()?.is_symlink() {
            " (a symbolic link, which the move does not follow)"
        } else {
            ""
        };
        format!(
            "still holds {}{link} after the move of the earlier layout",
            entry.path().display()
        )
    };
    Err(StoreError::Backend(format!(
        "{} {found}. Objects there would be invisible to the server, so it does not start.          Put the objects it holds (sha256/ab/<hex>) under {} instead (copy them across if they          are on another disk, or mount that disk at {}), then remove {} and start again.          Nothing in it was deleted.",
        nested_parent.display(),
        root.join(OBJECTS_DIR).display(),
        root.display(),
        nested_parent.display(),
    )))
}

/// Move every object of `old` (`ab/<hex>` shards) into `new`, one by one.
fn merge_tree(old: &Path, new: &Path, done: &mut LayoutMove) -> Result<(), StoreError> {
    for shard in fs::read_dir(old)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            log::warn!(
                "object store: {} is not an object shard; left in place",
                shard.path().display()
            );
            done.left += 1;
            continue;
        }
        let new_shard = new.join(shard.file_name());
        super::create_dir_durably(&new_shard)?;
        let mut to_remove = Vec::new();
        for entry in fs::read_dir(shard.path())? {
            let entry = entry?;
            let from = entry.path();
            let to = new_shard.join(entry.file_name());
            if !entry.file_type()?.is_file() {
                log::warn!(
                    "object store: {} is not an object; left in place",
                    from.display()
                );
                done.left += 1;
                continue;
            }
            match fs::hard_link(&from, &to) {
                Ok(()) => {
                    done.moved += 1;
                    to_remove.push(from);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if fs::read(&from)? == fs::read(&to)? {
                        done.duplicates += 1;
                        to_remove.push(from);
                    } else {
                        log::warn!(
                            "object store: {} and {} differ; the old one is left in place",
                            from.display(),
                            to.display()
                        );
                        done.left += 1;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        // The new names are durable before any old one goes.
        sync_dir(&new_shard)?;
        for from in to_remove {
            fs::remove_file(from)?;
        }
        sync_dir(&shard.path())?;
        remove_if_empty(&shard.path(), old)?;
    }
    remove_if_empty(old, old.parent().unwrap_or(old))?;
    Ok(())
}

/// Remove the directory `dir` (in `parent`) if it is empty.
fn remove_if_empty(dir: &Path, parent: &Path) -> Result<(), StoreError> {
    match fs::remove_dir(dir) {
        Ok(()) => Ok(sync_dir(parent)?),
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn exists(path: &Path) -> io::Result<bool> {
    path.try_exists()
}

fn is_dir(path: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(m.is_dir()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, shard: &str, name: &str, bytes: &[u8]) {
        fs::create_dir_all(dir.join(shard)).unwrap();
        fs::write(dir.join(shard).join(name), bytes).unwrap();
    }

    /// Nothing in the new place yet: the whole old tree is renamed; a second run does nothing.
    #[test]
    fn an_old_tree_is_renamed_into_place_once() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        put(&root.join("objects/sha256"), "ab", "ab01", b"one");
        put(&root.join("objects/sha256"), "cd", "cd02", b"two");
        let done = move_nested_objects(root).unwrap();
        assert!(done.renamed_tree, "{done:?}");
        assert_eq!(fs::read(root.join("sha256/ab/ab01")).unwrap(), b"one");
        assert_eq!(fs::read(root.join("sha256/cd/cd02")).unwrap(), b"two");
        assert!(!root.join("objects").exists());
        assert_eq!(move_nested_objects(root).unwrap(), LayoutMove::default());
        assert_eq!(fs::read(root.join("sha256/ab/ab01")).unwrap(), b"one");
    }

    /// Objects in both places (a run stopped half-way, or objects written since): merged one by
    /// one, same bytes dropped from the old place, different bytes kept in both, nothing lost.
    #[test]
    fn old_and_new_trees_are_merged_without_losing_anything() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let old = root.join("objects/sha256");
        put(&old, "ab", "ab01", b"moved");
        put(&old, "ab", "ab02", b"same");
        put(&old, "ef", "ef03", b"old bytes");
        put(&root.join("sha256"), "ab", "ab02", b"same");
        put(&root.join("sha256"), "ef", "ef03", b"new bytes");
        let done = move_nested_objects(root).unwrap();
        assert_eq!(
            done,
            LayoutMove {
                renamed_tree: false,
                moved: 1,
                duplicates: 1,
                left: 1
            }
        );
        assert_eq!(fs::read(root.join("sha256/ab/ab01")).unwrap(), b"moved");
        assert_eq!(fs::read(root.join("sha256/ab/ab02")).unwrap(), b"same");
        assert_eq!(fs::read(root.join("sha256/ef/ef03")).unwrap(), b"new bytes");
        assert!(!old.join("ab").exists());
        assert_eq!(fs::read(old.join("ef/ef03")).unwrap(), b"old bytes");
        // Run again: the conflicting object stays where it is, nothing else changes.
        let again = move_nested_objects(root).unwrap();
        assert_eq!(again.left, 1);
        assert_eq!(again.moved + again.duplicates, 0);
        assert_eq!(fs::read(old.join("ef/ef03")).unwrap(), b"old bytes");
    }

    /// The old folder moved to another disk and linked back (the whole folder, or its `sha256`):
    /// the move leaves it alone, and the store refuses to open, naming it; nothing is deleted.
    #[cfg(unix)]
    #[test]
    fn a_linked_old_folder_is_refused_not_skipped() {
        let elsewhere = tempfile::tempdir().unwrap();
        put(&elsewhere.path().join("sha256"), "ab", "ab01", b"one");

        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::os::unix::fs::symlink(elsewhere.path(), root.join("objects")).unwrap();
        assert_eq!(move_nested_objects(root).unwrap(), LayoutMove::default());
        let e = refuse_nested_leftovers(root).unwrap_err().to_string();
        assert!(
            e.contains(&root.join("objects").display().to_string()),
            "{e}"
        );
        assert!(e.contains("symbolic link"), "{e}");
        assert!(
            e.contains(&root.join("sha256").display().to_string()),
            "{e}"
        );
        assert_eq!(
            fs::read(elsewhere.path().join("sha256/ab/ab01")).unwrap(),
            b"one"
        );

        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs::create_dir(root.join("objects")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("sha256"), root.join("objects/sha256"))
            .unwrap();
        move_nested_objects(root).unwrap();
        let e = refuse_nested_leftovers(root).unwrap_err().to_string();
        assert!(
            e.contains(&root.join("objects/sha256").display().to_string()),
            "{e}"
        );
        assert!(e.contains("symbolic link"), "{e}");
        assert!(root.join("objects/sha256").exists());
        assert_eq!(
            fs::read(elsewhere.path().join("sha256/ab/ab01")).unwrap(),
            b"one"
        );
    }

    /// A conflicting object left in the old folder also stops the store from opening.
    #[test]
    fn leftovers_are_refused_and_a_moved_folder_is_not() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        put(&root.join("objects/sha256"), "ef", "ef03", b"old bytes");
        put(&root.join("sha256"), "ef", "ef03", b"new bytes");
        move_nested_objects(root).unwrap();
        let e = refuse_nested_leftovers(root).unwrap_err().to_string();
        assert!(e.contains("still holds"), "{e}");
        assert_eq!(
            fs::read(root.join("objects/sha256/ef/ef03")).unwrap(),
            b"old bytes"
        );

        let root = tempfile::tempdir().unwrap();
        put(&root.path().join("objects/sha256"), "ab", "ab01", b"one");
        move_nested_objects(root.path()).unwrap();
        assert!(refuse_nested_leftovers(root.path()).is_ok());
    }

    /// A data directory of a fresh install, or one already moved, is left alone.
    #[test]
    fn nothing_to_move() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(
            move_nested_objects(root.path()).unwrap(),
            LayoutMove::default()
        );
        // The empty `objects/` folder the earlier store always created is removed.
        fs::create_dir(root.path().join("objects")).unwrap();
        assert_eq!(
            move_nested_objects(root.path()).unwrap(),
            LayoutMove::default()
        );
        assert!(!root.path().join("objects").exists());
    }
}
