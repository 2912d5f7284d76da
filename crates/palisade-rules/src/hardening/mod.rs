//! Settings that shrink what a compromised container can do, beyond the Pod Security Standards.

mod default_namespace;
mod read_only_root_filesystem;
mod sensitive_host_path;
mod service_account_token_automount;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &read_only_root_filesystem::READ_ONLY_ROOT_FILESYSTEM,
    &service_account_token_automount::SERVICE_ACCOUNT_TOKEN_AUTOMOUNT,
    &default_namespace::DEFAULT_NAMESPACE,
    &sensitive_host_path::SENSITIVE_HOST_PATH,
];
