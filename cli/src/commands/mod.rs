//! One module per subcommand.

pub mod demo;
pub mod exif;
pub mod keygen;
pub mod log;
pub mod package;
pub mod seal;
pub mod serve;
pub mod user;
pub mod verify;
pub mod witness;
