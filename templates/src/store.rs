//! Every SQL statement of scaffolder tasks: create, claim, events, status.
