//! Image references (`registry:5000/team/app:1.2@sha256:…`) split into tag and digest, and the
//! digest pods actually run, read from their container statuses' `imageID`.

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::model::ContainerImage;

/// The parts of an image reference the views show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `registry:5000/team/app`.
    pub repository: &'a str,
    /// As written; `None` when the reference names none.
    pub tag: Option<&'a str>,
    /// `sha256:…`, when the reference pins one.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(image: &'a str) -> ImageRef<'a> {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        // A colon is a tag's only after the last slash; before it, it is a registry's port.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(&name[last_slash + i + 1..]).filter(|t| !t.is_empty()),
            ),
            None => (name, None),
        };
        ImageRef {
            repository,
            tag,
            digest,
        }
    }

    /// The tag a runtime pulls: the one written, else `latest`, unless a digest alone pins the
    /// image (then no tag applies).
    pub fn effective_tag(&self) -> Option<&'a str> {
        match (self.tag, self.digest) {
            (Some(tag), _) => Some(tag),
            (None, Some(_)) => None,
            (None, None) => Some("latest"),
        }
    }
}

/// The digest in a container status' `imageID`: `docker-pullable://repo@sha256:…`,
/// `repo@sha256:…` or a bare `sha256:…`.
pub fn digest_of_image_id(image_id: &str) -> Option<&str> {
    let digest = match image_id.rsplit_once('@') {
        Some((_, digest)) => digest,
        None => image_id.split_once("://").map_or(image_id, |(_, rest)| rest),
    };
    digest.contains(':').then_some(digest).filter(|d| !d.ends_with(':'))
}

/// Each container's image as the template writes it, with the digest its pods run: taken from
/// `current` pods (those of the current revision) first, else from any pod running that image.
pub fn container_images(containers: &[Container], current: &[&Pod], others: &[&Pod]) -> Vec<ContainerImage> {
    containers
        .iter()
        .map(|container| {
            let image = container.image.clone().unwrap_or_default();
            let parsed = ImageRef::parse(&image);
            let digest = parsed
                .digest
                .or_else(|| running_digest(current, &container.name, None))
                .or_else(|| running_digest(others, &container.name, Some(&image)))
                .map(str::to_string);
            ContainerImage {
                container: container.name.clone(),
                tag: parsed.effective_tag().map(str::to_string),
                digest,
                image,
            }
        })
        .collect()
}

fn running_digest<'a>(pods: &[&'a Pod], container: &str, image: Option<&str>) -> Option<&'a str> {
    pods.iter()
        .filter_map(|pod| pod.status.as_ref()?.container_statuses.as_ref())
        .flatten()
        .filter(|s| s.name == container && image.is_none_or(|image| same_image(image, &s.image)))
        .find_map(|s| digest_of_image_id(&s.image_id))
}

/// Runtimes report `nginx:1.25` as `docker.io/library/nginx:1.25`.
fn same_image(spec: &str, status: &str) -> bool {
    status == spec || status.strip_suffix(spec).is_some_and(|prefix| prefix.ends_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(image: &str) -> (&str, Option<&str>, Option<&str>) {
        let r = ImageRef::parse(image);
        (r.repository, r.effective_tag(), r.digest)
    }

    #[test]
    fn tags_digests_and_ports() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let pinned = format!("registry:5000/a/b:1.2@{digest}");
        assert_eq!(parts(&pinned), ("registry:5000/a/b", Some("1.2"), Some(digest)));
        assert_eq!(parts("registry:5000/a/b"), ("registry:5000/a/b", Some("latest"), None));
        assert_eq!(parts("nginx"), ("nginx", Some("latest"), None));
        assert_eq!(parts("nginx:1.25-alpine"), ("nginx", Some("1.25-alpine"), None));
        assert_eq!(
            parts("ghcr.io/acme/checkout:v1.4.2"),
            ("ghcr.io/acme/checkout", Some("v1.4.2"), None)
        );
        assert_eq!(
            parts("localhost:5000/app"),
            ("localhost:5000/app", Some("latest"), None)
        );
        let only_digest = format!("ghcr.io/acme/app@{digest}");
        assert_eq!(parts(&only_digest), ("ghcr.io/acme/app", None, Some(digest)));
        assert_eq!(parts("app:"), ("app", Some("latest"), None));
    }

    #[test]
    fn digests_from_image_ids() {
        assert_eq!(
            digest_of_image_id("docker-pullable://nginx@sha256:abc"),
            Some("sha256:abc")
        );
        assert_eq!(digest_of_image_id("registry:5000/a/b@sha256:abc"), Some("sha256:abc"));
        assert_eq!(digest_of_image_id("sha256:abc"), Some("sha256:abc"));
        assert_eq!(digest_of_image_id("docker://sha256:abc"), Some("sha256:abc"));
        assert_eq!(digest_of_image_id(""), None);
        assert_eq!(digest_of_image_id("sha256:"), None);
    }

    #[test]
    fn normalised_names_are_the_same_image() {
        assert!(same_image("nginx:1.25", "docker.io/library/nginx:1.25"));
        assert!(same_image("nginx:1.25", "nginx:1.25"));
        assert!(!same_image("nginx:1.25", "docker.io/library/xnginx:1.25"));
        assert!(!same_image("nginx:1.25", "nginx:1.26"));
    }
}
