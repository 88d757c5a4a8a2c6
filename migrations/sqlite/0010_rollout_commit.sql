-- The commit a rollout's images were built from, when its pod template names it
-- (`org.opencontainers.image.revision`): delivery metrics resolve the rollout's changes from it.
ALTER TABLE deployment_rollouts ADD COLUMN commit_sha TEXT;
