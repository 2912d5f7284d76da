//! Where images come from and how they are pinned.

pub(crate) mod allowed;
mod image_not_digest_pinned;
mod image_registry_not_allowed;
mod image_tag_not_pinned;
mod judgeable;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &image_tag_not_pinned::IMAGE_TAG_NOT_PINNED,
    &image_not_digest_pinned::IMAGE_NOT_DIGEST_PINNED,
    &image_registry_not_allowed::IMAGE_REGISTRY_NOT_ALLOWED,
];
