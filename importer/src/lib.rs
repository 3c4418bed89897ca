//! tallyseal-import: the Commission's importer, which builds a draft election package from the
//! published 2024 Pakistan lists and a separate station-coordinates file.
//!
//! It runs where the Commission prepares an election (`tallyseal package import`), never on a
//! phone or in the server, so it lives outside `tallyseal-core` and no phone build carries it.
//! Everything here works on bytes the caller has read; nothing touches the file system or reads
//! the clock.
//!
//! Sources (see `importer/testdata/SOURCES.md`), one module per input file format:
//! - [`candidate_lists`]: candidate lists (Form-33), zlenner/elections-data
//!   `NA/{punjab,sindh,kpk,balochistan}.json`;
//! - [`results_csv`]: station results, zlenner/elections-data `form45/<code>.csv`, whose station
//!   names give the station type ([`station_name`]);
//! - [`coordinates_csv`]: station coordinates, `constituency,station,lat,lon,radius_m`, which the
//!   Commission must supply: the published data has no coordinates;
//! - [`csv`]: the RFC 4180 reader both CSV formats use.
//!
//! [`import_2024`] ([`draft`]) puts them together. The result is a **draft**: stations without
//! coordinates keep `location: None` and are listed in [`ImportReport::missing_locations`];
//! `tallyseal_core::package::ElectionPackage::sign` refuses such a draft.

pub mod candidate_lists;
pub mod coordinates_csv;
pub mod csv;
pub mod draft;
pub mod report;
pub mod results_csv;
pub mod station_name;

pub use candidate_lists::assembly_for_code;
pub use csv::{CsvError, CsvRecord, parse_csv};
pub use draft::import_2024;
pub use report::{ImportError, ImportReport, ImportWarning, StationRef};
pub use results_csv::{ResultsRow, ResultsTable, parse_results_csv};
pub use station_name::{NameType, station_type_from_name};
