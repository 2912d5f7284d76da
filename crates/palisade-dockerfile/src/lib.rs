//! The build-file view: Dockerfiles and Containerfiles.
//!
//! [`parse`] reads a Dockerfile into a [`Dockerfile`]: every instruction with the exact
//! position of its keyword and of each argument, the build stages, and the comments between
//! instructions (where suppression pragmas live). It never fails: a line that cannot be read
//! is a located error in [`Dockerfile::diagnostics`], and reading goes on with the next
//! instruction.
//!
//! The syntax is BuildKit's: parser directives, line continuations with the chosen escape
//! character, heredocs (any number per instruction, anywhere on the line), exec (JSON) and
//! shell forms, and the flags of every instruction. On top of the syntax this crate keeps the
//! semantics rules need:
//!
//! * **Arguments and variables**, scoped as BuildKit scopes them: `ARG`s before the first
//!   `FROM` are usable only in `FROM` lines; inside a stage an `ARG` must be declared (or
//!   re-declared, taking the global value) to be seen; `ENV` wins over `ARG`; a stage built
//!   from an earlier stage inherits its `ENV`. `--build-arg` values ([`Options::build_args`])
//!   replace defaults. Each argument [`Word`] carries its substituted value and whether that
//!   value is fully known, so `FROM ${IMAGE}` is judged on what it resolves to.
//! * **Stages**: names, indexes, and what each is built from ([`Base`]).
//! * **Shell analysis** of shell-form `RUN` and of heredocs a shell runs ([`shell`]): commands,
//!   pipelines, `&&` lists and arguments, parsed in process. Stages whose shell is PowerShell
//!   or `cmd` (Windows images) are not read as POSIX shell; a warning says so.
//!
//! ```
//! use palisade_dockerfile::{parse, Base, Options};
//!
//! let df = parse(
//!     "ARG TAG=3.20\nFROM alpine:${TAG} AS base\nRUN apk add --no-cache curl\n",
//!     &Options::default(),
//! );
//! let Base::Image(image) = &df.stages[0].base else { panic!() };
//! assert_eq!(image.tag.as_deref(), Some("3.20"));
//! let script = df.instructions[2].run().unwrap().script.as_ref().unwrap();
//! assert_eq!(script.commands[0].program(), "apk");
//! ```

mod build;
pub mod expand;
pub mod hadolint;
mod lexer;
mod model;
pub mod pragma;
pub mod shell;
mod source;
mod words;

pub use build::{Options, parse};
pub use lexer::Directives;
pub use model::*;
