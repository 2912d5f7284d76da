//! Settings that shrink what a compromised container can do, beyond the Pod Security Standards.

mod read_only_root_filesystem;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[&read_only_root_filesystem::READ_ONLY_ROOT_FILESYSTEM];
