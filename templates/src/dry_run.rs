//! Dry runs: a template run into a throw-away workspace with nothing published, giving every
//! generated file. Used by `POST /v2/dry-run`, the wizard's preview and `cairn template dry-run`.
