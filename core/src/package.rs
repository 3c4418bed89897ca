//! The election package: what the Commission publishes and signs so a phone (and anyone else) can
//! check it holds the authentic polling scheme.
