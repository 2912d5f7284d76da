//! The Dockerfile as rules see it.

use std::ops::Range;

use palisade_load::{Diagnostic, Span};
use palisade_model::ImageRef;

use crate::lexer::Directives;
use crate::shell::Script;

/// A parsed build file: every instruction in order, the build stages, the comments between
/// instructions (where pragmas live), and the problems met while reading it.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub directives: Directives,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    pub comments: Vec<Comment>,
    /// Syntax errors (each stops only its own instruction) and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Dockerfile {
    /// The instructions of a stage after its `FROM`.
    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction] {
        self.instructions
            .get(stage.instructions.clone())
            .unwrap_or(&[])
    }

    /// The last stage: what `docker build` produces without `--target`.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stages whose files end up in the final image: the final stage and the stages it is
    /// built `FROM`, transitively. Stages used only through `COPY --from` are not among them.
    pub fn shipped_stages(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut next = self.stages.len().checked_sub(1);
        while let Some(i) = next {
            if out.contains(&i) {
                break;
            }
            out.push(i);
            next = match self.stages[i].base {
                Base::Stage(parent) if parent < i => Some(parent),
                _ => None,
            };
        }
        out
    }

    /// The stage an instruction belongs to.
    pub fn stage_of(&self, instruction: &Instruction) -> Option<&Stage> {
        instruction.stage.and_then(|s| self.stages.get(s))
    }

    /// The `FROM` instruction of a stage.
    pub fn from_of(&self, stage: &Stage) -> Option<&Instruction> {
        self.instructions.get(stage.from)
    }
}

/// A comment line outside any instruction.
#[derive(Debug, Clone)]
pub struct Comment {
    /// The text after `#`.
    pub text: String,
    pub span: Span,
    /// The index of the instruction that follows it, if any.
    pub next_instruction: Option<usize>,
}

/// An instruction keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Entrypoint,
    Shell,
    Copy,
    Add,
    Env,
    Label,
    Arg,
    Expose,
    Volume,
    User,
    Workdir,
    Stopsignal,
    Maintainer,
    Healthcheck,
    Onbuild,
}

impl Keyword {
    const ALL: [Keyword; 18] = [
        Keyword::From,
        Keyword::Run,
        Keyword::Cmd,
        Keyword::Entrypoint,
        Keyword::Shell,
        Keyword::Copy,
        Keyword::Add,
        Keyword::Env,
        Keyword::Label,
        Keyword::Arg,
        Keyword::Expose,
        Keyword::Volume,
        Keyword::User,
        Keyword::Workdir,
        Keyword::Stopsignal,
        Keyword::Maintainer,
        Keyword::Healthcheck,
        Keyword::Onbuild,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Shell => "SHELL",
            Keyword::Copy => "COPY",
            Keyword::Add => "ADD",
            Keyword::Env => "ENV",
            Keyword::Label => "LABEL",
            Keyword::Arg => "ARG",
            Keyword::Expose => "EXPOSE",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Onbuild => "ONBUILD",
        }
    }

    /// Keywords are case-insensitive.
    pub fn parse(text: &str) -> Option<Keyword> {
        Keyword::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text))
    }
}

/// One instruction.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Position in [`Dockerfile::instructions`].
    pub index: usize,
    pub keyword: Keyword,
    pub keyword_span: Span,
    /// From the keyword to the end of the instruction, heredoc bodies included.
    pub span: Span,
    /// The build stage; `None` for `ARG`s before the first `FROM`.
    pub stage: Option<usize>,
    /// For an instruction wrapped in `ONBUILD`: where `ONBUILD` is written. Such an
    /// instruction runs in builds that use this image as their base, not in this one.
    pub onbuild: Option<Span>,
    /// `--name=value` flags, in order.
    pub flags: Vec<Flag>,
    pub body: Body,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// `RUN` details, for `RUN` instructions.
    pub fn run(&self) -> Option<&Run> {
        match &self.body {
            Body::Run(r) => Some(r),
            _ => None,
        }
    }

    /// Whether it runs in this build (it is not wrapped in `ONBUILD`).
    pub fn runs_here(&self) -> bool {
        self.onbuild.is_none()
    }
}

/// A `--name[=value]` flag.
#[derive(Debug, Clone)]
pub struct Flag {
    pub name: String,
    pub value: Option<Word>,
    pub span: Span,
}

/// An argument word: as written, and its value after quote removal and variable substitution
/// where the instruction substitutes (see [`crate::expand`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub raw: String,
    pub value: String,
    /// Every variable in it had a known value.
    pub complete: bool,
    pub span: Span,
}

/// The arguments of an instruction, by keyword.
#[derive(Debug, Clone)]
pub enum Body {
    From {
        image: Word,
        /// `AS name`.
        alias: Option<Word>,
    },
    Run(Run),
    Cmd(CommandForm),
    Entrypoint(CommandForm),
    /// `None` for `HEALTHCHECK NONE`.
    Healthcheck(Option<CommandForm>),
    Shell(Vec<Word>),
    Copy(Transfer),
    Add(Transfer),
    Env(Vec<Pair>),
    Label(Vec<Pair>),
    Arg(Vec<ArgDecl>),
    Expose(Vec<Word>),
    Volume(Vec<Word>),
    User(Word),
    Workdir(Word),
    Stopsignal(Word),
    Maintainer(Word),
    /// Arguments that could not be read; the error is among the diagnostics.
    Invalid,
}

/// The exec (JSON) or shell form of a command.
#[derive(Debug, Clone)]
pub enum CommandForm {
    Exec { args: Vec<Word>, span: Span },
    Shell { text: String, span: Span },
}

impl CommandForm {
    pub fn span(&self) -> Span {
        match self {
            CommandForm::Exec { span, .. } | CommandForm::Shell { span, .. } => *span,
        }
    }

    pub fn is_shell(&self) -> bool {
        matches!(self, CommandForm::Shell { .. })
    }
}

/// A `RUN` instruction.
#[derive(Debug, Clone)]
pub struct Run {
    pub command: CommandForm,
    pub heredocs: Vec<Heredoc>,
    /// The shell that runs the shell form here (`SHELL`, default `/bin/sh -c`).
    pub shell: ShellInfo,
    /// The commands, when the shell form was analysed: `None` for the exec form, for a shell
    /// that is not POSIX (PowerShell, `cmd`), for a heredoc script with another interpreter,
    /// and for text the shell parser could not read (a warning says so).
    pub script: Option<Script>,
}

impl Run {
    /// `--mount` flags are read from the instruction; this is a shortcut for the mount targets
    /// of `type=cache` mounts.
    pub fn cache_targets(instruction: &Instruction) -> Vec<String> {
        instruction
            .flags
            .iter()
            .filter(|f| f.name == "mount")
            .filter_map(|f| f.value.as_ref())
            .filter_map(|v| {
                let fields: Vec<(&str, &str)> = v
                    .value
                    .split(',')
                    .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
                    .collect();
                let is_cache = fields.iter().any(|(k, v)| *k == "type" && *v == "cache");
                let target = fields
                    .iter()
                    .find(|(k, _)| matches!(*k, "target" | "dst" | "destination"))
                    .map(|(_, v)| v.to_string());
                target.filter(|_| is_cache)
            })
            .collect()
    }
}

/// The shell in effect for a `RUN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellInfo {
    pub argv: Vec<String>,
    /// A POSIX-family shell (`sh`, `bash`, `ash`, …), whose scripts Palisade analyses.
    pub posix: bool,
    /// `-o pipefail` is among the shell's options.
    pub pipefail: bool,
    /// Where `SHELL` set it, if it did.
    pub set_at: Option<Span>,
}

impl Default for ShellInfo {
    fn default() -> Self {
        ShellInfo {
            argv: vec!["/bin/sh".into(), "-c".into()],
            posix: true,
            pipefail: false,
            set_at: None,
        }
    }
}

/// A heredoc of a `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone)]
pub struct Heredoc {
    pub delimiter: String,
    /// `false` when the delimiter is quoted: no expansion in the body.
    pub expand: bool,
    pub body: String,
    /// The `<<EOF` marker.
    pub marker_span: Span,
    /// The body and the delimiter line.
    pub span: Span,
}

/// The sources and destination of `COPY` or `ADD`.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub sources: Vec<Source>,
    pub dest: Word,
}

#[derive(Debug, Clone)]
pub enum Source {
    Path(Word),
    /// A heredoc given as a source (`COPY <<EOF /dst`).
    Heredoc(Heredoc),
}

/// A `key=value` pair of `ENV` or `LABEL`.
#[derive(Debug, Clone)]
pub struct Pair {
    pub key: String,
    pub key_span: Span,
    pub value: Word,
}

/// One name of an `ARG`.
#[derive(Debug, Clone)]
pub struct ArgDecl {
    pub name: String,
    pub name_span: Span,
    pub default: Option<Word>,
}

/// A build stage: a `FROM` and the instructions up to the next one.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, as written (stage names compare without case).
    pub name: Option<String>,
    /// The `FROM` instruction's index.
    pub from: usize,
    /// The indexes of the instructions after the `FROM`.
    pub instructions: Range<usize>,
    pub base: Base,
    /// A Windows stage: its shell is PowerShell or `cmd`, or its base image is a Windows one.
    pub windows: bool,
}

impl Stage {
    /// `stage 1 (builder)` or `stage 0`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("stage {} ({n})", self.index),
            None => format!("stage {}", self.index),
        }
    }
}

/// What a stage is built from.
#[derive(Debug, Clone)]
pub enum Base {
    /// `FROM scratch`.
    Scratch,
    /// An earlier stage of the same file.
    Stage(usize),
    /// An image, after argument substitution.
    Image(ImageRef),
    /// The reference depends on an argument whose value is not known.
    Unresolved,
}
