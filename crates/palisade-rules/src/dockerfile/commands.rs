//! Reading shell commands: wrappers, options and package-manager calls.
//!
//! Rules ask about the program a command really runs (`sudo -E apt-get install …` runs
//! `apt-get`), its options (`-y`, `--no-cache`, bundled short options such as `-qy`) and its
//! operands (the package names), knowing which options take a value so that a value is never
//! mistaken for a package.

use palisade_dockerfile::shell::{Command, Script, ShellWord, basename};
use palisade_dockerfile::{Dockerfile, Instruction, Run};

/// A command with its wrappers (`sudo`, `env`, `nice`, …) removed.
pub(crate) struct Invocation<'a> {
    /// The program's basename.
    pub program: &'a str,
    pub name: &'a ShellWord,
    pub args: &'a [ShellWord],
}

/// Programs that run another command given as their arguments, and their options that take a
/// value.
const WRAPPERS: &[(&str, &[&str])] = &[
    (
        "sudo",
        &["-u", "-g", "-U", "-C", "-D", "-h", "-p", "-r", "-t", "-T"],
    ),
    ("env", &["-u", "-C", "-S"]),
    ("nice", &["-n"]),
    ("ionice", &["-c", "-n"]),
    ("nohup", &[]),
    ("time", &["-f", "-o"]),
    ("command", &[]),
    ("exec", &["-a"]),
    ("stdbuf", &["-i", "-o", "-e"]),
    ("timeout", &["-s", "-k"]),
];

pub(crate) fn invocation(cmd: &Command) -> Invocation<'_> {
    let mut name = &cmd.name;
    let mut args: &[ShellWord] = &cmd.args;
    for _ in 0..4 {
        let program = basename(&name.value);
        let Some((_, with_value)) = WRAPPERS.iter().find(|(w, _)| *w == program) else {
            break;
        };
        let mut i = 0;
        while i < args.len() {
            let a = args[i].value.as_str();
            if a == "--" {
                i += 1;
                break;
            }
            if program == "env" && a.contains('=') && !a.starts_with('-') {
                i += 1;
                continue;
            }
            if program == "timeout" && !a.starts_with('-') && i == 0 {
                // The duration.
                i += 1;
                continue;
            }
            if !a.starts_with('-') {
                break;
            }
            i += if with_value.contains(&a) { 2 } else { 1 };
        }
        let Some((next, rest)) = args.get(i..).and_then(|r| r.split_first()) else {
            break;
        };
        name = next;
        args = rest;
    }
    Invocation {
        program: basename(&name.value),
        name,
        args,
    }
}

/// Whether `word` is an option.
pub(crate) fn is_option(word: &str) -> bool {
    word.starts_with('-') && word.len() > 1
}

/// Whether a bundled short option (`-qy`) or a long one is among `options`: `short` is the
/// letter, `long` the full long forms.
pub(crate) fn has_flag(options: &[&ShellWord], short: Option<char>, long: &[&str]) -> bool {
    options.iter().any(|o| {
        let v = o.value.as_str();
        if let Some(l) = v.strip_prefix("--") {
            let l = l.split('=').next().unwrap_or(l);
            return long.iter().any(|x| x.trim_start_matches('-') == l);
        }
        match (short, v.strip_prefix('-')) {
            (Some(c), Some(letters)) => letters.contains(c),
            _ => false,
        }
    })
}

/// How many times a short option letter is given (`-qq` is 2).
pub(crate) fn short_count(options: &[&ShellWord], c: char) -> usize {
    options
        .iter()
        .filter(|o| !o.value.starts_with("--"))
        .filter_map(|o| o.value.strip_prefix('-'))
        .map(|letters| letters.matches(c).count())
        .sum()
}

/// Splits arguments into options and operands, skipping the values of `valued` options.
pub(crate) fn options_and_operands<'a>(
    args: &'a [ShellWord],
    valued: &[&str],
) -> (Vec<&'a ShellWord>, Vec<&'a ShellWord>) {
    let mut options = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    let mut only_operands = false;
    while i < args.len() {
        let a = &args[i];
        if only_operands || !is_option(&a.value) {
            operands.push(a);
            i += 1;
            continue;
        }
        if a.value == "--" {
            only_operands = true;
            i += 1;
            continue;
        }
        options.push(a);
        let takes_value = !a.value.contains('=') && valued.contains(&a.value.as_str());
        if takes_value {
            if let Some(v) = args.get(i + 1) {
                options.push(v);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    (options, operands)
}

/// The operating-system package managers the package rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Manager {
    AptGet,
    Apt,
    Apk,
    Yum,
    Dnf,
    Microdnf,
    Zypper,
}

impl Manager {
    fn from_program(program: &str) -> Option<Manager> {
        Some(match program {
            "apt-get" => Manager::AptGet,
            "apt" => Manager::Apt,
            "apk" => Manager::Apk,
            "yum" => Manager::Yum,
            "dnf" | "dnf5" | "tdnf" => Manager::Dnf,
            "microdnf" => Manager::Microdnf,
            "zypper" => Manager::Zypper,
            _ => return None,
        })
    }

    /// Options that take a separate value.
    fn valued(self) -> &'static [&'static str] {
        match self {
            Manager::AptGet | Manager::Apt => &[
                "-o",
                "-c",
                "-t",
                "--option",
                "--config-file",
                "--target-release",
                "--default-release",
            ],
            Manager::Apk => &[
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
                "-t",
                "--virtual",
                "--repositories-file",
            ],
            Manager::Yum | Manager::Dnf | Manager::Microdnf => &[
                "-c",
                "--config",
                "--enablerepo",
                "--disablerepo",
                "--repo",
                "--repoid",
                "--setopt",
                "--installroot",
                "--releasever",
                "-x",
                "--exclude",
                "--repofrompath",
                "--forcearch",
            ],
            Manager::Zypper => &[
                "-R",
                "--root",
                "-r",
                "--repo",
                "--from",
                "-D",
                "--reposd-dir",
            ],
        }
    }
}

/// A call of an operating-system package manager.
pub(crate) struct PackageCall<'a> {
    pub manager: Manager,
    pub inv: Invocation<'a>,
    /// The subcommand (`install`, `add`, `update`), when there is one.
    pub action: Option<&'a ShellWord>,
    /// Every option, before and after the subcommand.
    pub options: Vec<&'a ShellWord>,
    /// Operands after the subcommand: package names, files, URLs.
    pub operands: Vec<&'a ShellWord>,
}

impl PackageCall<'_> {
    pub fn action_is(&self, names: &[&str]) -> bool {
        self.action
            .is_some_and(|a| names.contains(&a.value.as_str()))
    }

    /// Whether it installs packages.
    pub fn installs(&self) -> bool {
        match self.manager {
            Manager::Apk => self.action_is(&["add"]),
            Manager::Zypper => self.action_is(&["install", "in"]),
            Manager::Yum | Manager::Dnf | Manager::Microdnf => {
                self.action_is(&["install", "groupinstall", "localinstall", "reinstall"])
            }
            Manager::AptGet | Manager::Apt => self.action_is(&["install"]),
        }
    }

    /// Where to point a finding about the call: the subcommand, else the program.
    pub fn anchor(&self) -> &ShellWord {
        self.action.unwrap_or(self.inv.name)
    }

    /// What a finding about the call is about: the program, the subcommand and the first
    /// package named (`apt-get install curl`), which tells it from the instruction's other
    /// calls.
    pub fn subject(&self) -> String {
        let mut words = vec![self.inv.program];
        words.extend(self.action.map(|a| a.value.as_str()));
        words.extend(
            self.operands
                .iter()
                .find(|w| !not_a_package_name(w))
                .map(|w| w.value.as_str()),
        );
        words.join(" ")
    }
}

pub(crate) fn package_call(cmd: &Command) -> Option<PackageCall<'_>> {
    let inv = invocation(cmd);
    let manager = Manager::from_program(inv.program)?;
    let (options, words) = options_and_operands(inv.args, manager.valued());
    let (action, operands) = match words.split_first() {
        Some((a, rest)) => (Some(*a), rest.to_vec()),
        None => (None, Vec::new()),
    };
    Some(PackageCall {
        manager,
        inv,
        action,
        options,
        operands,
    })
}

/// Every `RUN` whose commands were analysed, with its instruction.
pub(crate) fn scripts(df: &Dockerfile) -> impl Iterator<Item = (&Instruction, &Run, &Script)> {
    df.instructions.iter().filter_map(|i| {
        let run = i.run()?;
        let script = run.script.as_ref()?;
        Some((i, run, script))
    })
}

/// Whether a package operand is a variable, a path, a URL or a local package file rather
/// than a name from a repository.
pub(crate) fn not_a_package_name(word: &ShellWord) -> bool {
    let v = word.value.as_str();
    v.contains('$')
        || v.contains("://")
        || v.starts_with('/')
        || v.starts_with('.')
        || v.starts_with('~')
        || [".deb", ".rpm", ".apk", ".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|ext| v.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_dockerfile::{Options, parse};

    fn first_command(run: &str) -> Command {
        let df = parse(&format!("FROM a\nRUN {run}\n"), &Options::default());
        df.instructions[1]
            .run()
            .unwrap()
            .script
            .as_ref()
            .unwrap()
            .commands[0]
            .clone()
    }

    #[test]
    fn wrappers_are_removed() {
        let c = first_command("sudo -E -u root env DEBIAN_FRONTEND=x nice -n 5 apt-get install y");
        let inv = invocation(&c);
        assert_eq!(inv.program, "apt-get");
        assert_eq!(inv.args.len(), 2);
    }

    #[test]
    fn package_calls_skip_option_values() {
        let c = first_command(
            "apt-get -o Dpkg::Options::=--force-confold -t bookworm install -qy curl",
        );
        let call = package_call(&c).unwrap();
        assert_eq!(call.action.unwrap().value, "install");
        assert_eq!(call.operands.len(), 1);
        assert!(has_flag(&call.options, Some('y'), &["--yes"]));
        assert_eq!(short_count(&call.options, 'q'), 1);
    }
}
