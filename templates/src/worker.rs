//! The task worker: claims tasks from the database and runs them, one shutdown for all.
