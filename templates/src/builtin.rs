//! The golden paths shipped with Cairn (`templates/golden-paths/`), embedded in the binary and
//! registered in the catalog at start-up.
