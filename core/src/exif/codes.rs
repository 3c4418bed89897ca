//! The finding codes [`super::extract_exif`] can report. They are stable: verifiers and manifests
//! key on them. A code must never be renamed or reused for another meaning: signed manifests
//! carry them.

/// The bytes are not a JPEG, HEIF, TIFF, PNG or WebP container.
pub const UNKNOWN_CONTAINER: &str = "unknown_container";
/// The container was read to its end and holds no EXIF block.
pub const NO_EXIF: &str = "no_exif";
/// The container or the EXIF block could not be parsed (detail has the parser's error).
pub const EXIF_UNREADABLE: &str = "exif_unreadable";
/// The EXIF block parsed, but parts of it are corrupt and were skipped.
pub const EXIF_PARTIALLY_CORRUPT: &str = "exif_partially_corrupt";
/// The EXIF block declares more IFD entries than any camera writes; not parsed.
pub const EXIF_TOO_COMPLEX: &str = "exif_too_complex";
/// A field we read declares an absurd size; it was skipped.
pub const EXIF_FIELD_OVERSIZED: &str = "exif_field_oversized";
/// A field we read has a type the EXIF specification does not allow for it; it was skipped.
pub const EXIF_FIELD_WRONG_TYPE: &str = "exif_field_wrong_type";
/// A text field was longer than we keep and was cut.
pub const EXIF_STRING_TRUNCATED: &str = "exif_string_truncated";
/// Make is present but empty.
pub const MAKE_EMPTY: &str = "make_empty";
/// Model is present but empty.
pub const MODEL_EMPTY: &str = "model_empty";
/// Software is present but empty.
pub const SOFTWARE_EMPTY: &str = "software_empty";
/// Software names a photo editor or a program that re-saves images.
pub const EDITING_SOFTWARE: &str = "editing_software";
/// DateTimeOriginal is present but empty or blank.
pub const DATETIME_EMPTY: &str = "datetime_original_empty";
/// DateTimeOriginal is `0000:00:00 00:00:00`.
pub const DATETIME_ZERO: &str = "datetime_original_zero";
/// DateTimeOriginal is not a valid `YYYY:MM:DD HH:MM:SS` date.
pub const DATETIME_INVALID: &str = "datetime_original_invalid";
/// DateTimeOriginal is after the year 2100.
pub const DATETIME_FAR_FUTURE: &str = "datetime_original_far_future";
/// DateTimeOriginal is before 1990.
pub const DATETIME_TOO_OLD: &str = "datetime_original_before_1990";
/// OffsetTimeOriginal is not a valid `+HH:MM` offset.
pub const OFFSET_INVALID: &str = "offset_time_original_invalid";
/// The primary image has a GPS IFD but no usable latitude/longitude in it.
pub const GPS_NO_COORDINATES: &str = "gps_no_coordinates";
/// GPSLatitudeRef / GPSLongitudeRef is missing, empty, or not N/S resp. E/W.
pub const GPS_REF_INVALID: &str = "gps_ref_invalid";
/// A GPS rational has a zero denominator or is not a finite number.
pub const GPS_RATIONAL_INVALID: &str = "gps_rational_invalid";
/// GPS minutes or seconds are 60 or more (or negative).
pub const GPS_DMS_OUT_OF_RANGE: &str = "gps_dms_out_of_range";
/// Latitude outside -90..=90 degrees.
pub const GPS_LATITUDE_OUT_OF_RANGE: &str = "gps_latitude_out_of_range";
/// Longitude outside -180..=180 degrees.
pub const GPS_LONGITUDE_OUT_OF_RANGE: &str = "gps_longitude_out_of_range";
/// Position is exactly 0,0 ("null island"), a typical placeholder for "no fix".
pub const GPS_NULL_ISLAND: &str = "gps_null_island";
/// GPSAltitudeRef is neither 0 (above sea level) nor 1 (below).
pub const GPS_ALTITUDE_REF_INVALID: &str = "gps_altitude_ref_invalid";
/// Altitude below -500 m or above 9,000 m.
pub const GPS_ALTITUDE_IMPLAUSIBLE: &str = "gps_altitude_implausible";
/// GPSDateStamp is not a valid `YYYY:MM:DD` date.
pub const GPS_DATESTAMP_INVALID: &str = "gps_datestamp_invalid";
/// GPSTimeStamp is not a valid time of day.
pub const GPS_TIMESTAMP_INVALID: &str = "gps_timestamp_invalid";
