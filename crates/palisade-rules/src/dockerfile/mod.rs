//! Dockerfiles and Containerfiles: base images, users, secrets, downloads, packages and the
//! mistakes that make a build file do something other than what it says.
//!
//! Rules read the model of `palisade-dockerfile`: stages, instructions with resolved
//! arguments, and `RUN` commands parsed as shell. Rules that read commands skip `RUN`s whose
//! shell is not POSIX (Windows images) and say so through a warning from the parser. Each rule
//! that matches one of hadolint's lists that code as an alias.

mod add_instead_of_copy;
mod add_url_without_checksum;
mod apt_install_recommends;
mod apt_instead_of_apt_get;
mod base_image_not_digest_pinned;
mod base_image_registry_implicit;
mod base_image_registry_not_allowed;
mod base_image_tag_not_pinned;
mod cd_in_run;
pub(crate) mod commands;
mod consecutive_run;
mod copy_from_unknown_stage;
mod credentials_in_run;
mod duplicate_stage_name;
mod instruction_repeated;
mod language_package_not_pinned;
mod maintainer_deprecated;
mod missing_healthcheck;
mod package_cache_not_cleaned;
mod package_install_not_noninteractive;
mod package_not_pinned;
mod pip_cache_not_disabled;
mod pipe_to_shell;
mod pipe_without_pipefail;
mod port_out_of_range;
mod relative_workdir;
mod root_user;
mod secret_in_arg_or_env;
mod shell_form_cmd;
mod ssh_port_exposed;
mod stages;
mod sudo_in_run;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &base_image_registry_implicit::BASE_IMAGE_REGISTRY_IMPLICIT,
    &base_image_registry_not_allowed::BASE_IMAGE_REGISTRY_NOT_ALLOWED,
    &base_image_tag_not_pinned::BASE_IMAGE_TAG_NOT_PINNED,
    &base_image_not_digest_pinned::BASE_IMAGE_NOT_DIGEST_PINNED,
    &root_user::ROOT_USER,
    &sudo_in_run::SUDO_IN_RUN,
    &secret_in_arg_or_env::SECRET_IN_ARG_OR_ENV,
    &credentials_in_run::CREDENTIALS_IN_RUN,
    &pipe_to_shell::PIPE_TO_SHELL,
    &add_url_without_checksum::ADD_URL_WITHOUT_CHECKSUM,
    &add_instead_of_copy::ADD_INSTEAD_OF_COPY,
    &ssh_port_exposed::SSH_PORT_EXPOSED,
    &consecutive_run::CONSECUTIVE_RUN,
    &missing_healthcheck::MISSING_HEALTHCHECK,
    &package_not_pinned::PACKAGE_NOT_PINNED,
    &package_install_not_noninteractive::PACKAGE_INSTALL_NOT_NONINTERACTIVE,
    &package_cache_not_cleaned::PACKAGE_CACHE_NOT_CLEANED,
    &apt_install_recommends::APT_INSTALL_RECOMMENDS,
    &apt_instead_of_apt_get::APT_INSTEAD_OF_APT_GET,
    &language_package_not_pinned::LANGUAGE_PACKAGE_NOT_PINNED,
    &pip_cache_not_disabled::PIP_CACHE_NOT_DISABLED,
    &relative_workdir::RELATIVE_WORKDIR,
    &cd_in_run::CD_IN_RUN,
    &instruction_repeated::INSTRUCTION_REPEATED,
    &shell_form_cmd::SHELL_FORM_CMD,
    &copy_from_unknown_stage::COPY_FROM_UNKNOWN_STAGE,
    &duplicate_stage_name::DUPLICATE_STAGE_NAME,
    &port_out_of_range::PORT_OUT_OF_RANGE,
    &maintainer_deprecated::MAINTAINER_DEPRECATED,
    &pipe_without_pipefail::PIPE_WITHOUT_PIPEFAIL,
];
