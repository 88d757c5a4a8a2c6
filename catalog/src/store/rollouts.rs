//! Every SQL statement of the deployment history (`deployment_rollouts`).
