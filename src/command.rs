//! The `:` command line: parsing what was typed and completing it.

use std::fmt;

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// `:svc` / `:services`: the services view.
    Services,
    /// `:inst` / `:instances [SERVICE]`: instances, optionally of one service.
    Instances(Option<String>),
    /// `:ns NAME` / `:ns all` (None means all namespaces).
    Namespace(Option<String>),
    /// `:ctx NAME`: switch kube context.
    Context(String),
    /// `:ns` alone: open the namespace picker.
    PickNamespace,
    /// `:ctx` alone: open the context picker.
    PickContext,
    /// `:q` / `:quit`.
    Quit,
    /// `:help`.
    Help,
}

/// Why a command line was refused, in words for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Nothing was typed.
    Empty,
    /// The first word is not a command.
    Unknown(String),
    /// The command got more arguments than it takes.
    TooManyArguments(&'static str),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Empty => write!(f, "no command given; try :help"),
            CommandError::Unknown(word) => write!(
                f,
                "unknown command ':{word}'; known: {}",
                COMMANDS.join(", ")
            ),
            CommandError::TooManyArguments(command) => {
                write!(f, ":{command} takes at most one argument")
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// Every command word, for completion and the unknown-command message.
pub const COMMANDS: [&str; 9] = [
    "ctx",
    "help",
    "inst",
    "instances",
    "ns",
    "q",
    "quit",
    "services",
    "svc",
];

/// Parses the text typed after `:` (a leading `:` is accepted too).
pub fn parse(input: &str) -> Result<CommandLine, CommandError> {
    let input = input.trim().trim_start_matches(':');
    let mut words = input.split_whitespace();
    let Some(head) = words.next() else {
        return Err(CommandError::Empty);
    };
    let arg = words.next().map(str::to_string);
    let extra = words.next().is_some();
    let (name, line): (&'static str, CommandLine) = match head {
        "svc" | "services" => ("svc", CommandLine::Services),
        "inst" | "instances" => ("inst", CommandLine::Instances(arg.clone())),
        "ns" => match arg.as_deref() {
            None => ("ns", CommandLine::PickNamespace),
            Some("all") => ("ns", CommandLine::Namespace(None)),
            Some(name) => ("ns", CommandLine::Namespace(Some(name.to_string()))),
        },
        "ctx" => match arg.as_deref() {
            None => ("ctx", CommandLine::PickContext),
            Some(name) => ("ctx", CommandLine::Context(name.to_string())),
        },
        "q" | "quit" => ("q", CommandLine::Quit),
        "help" => ("help", CommandLine::Help),
        other => return Err(CommandError::Unknown(other.to_string())),
    };
    let takes_arg = matches!(name, "inst" | "ns" | "ctx");
    if extra || (!takes_arg && arg.is_some()) {
        return Err(CommandError::TooManyArguments(name));
    }
    Ok(line)
}

/// What completion can draw on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// Known namespaces.
    pub namespaces: &'a [String],
    /// Known kube contexts.
    pub contexts: &'a [String],
    /// Known services.
    pub services: &'a [String],
}

/// Completion result: whole command lines that fit, and their longest common
/// prefix (what a first Tab fills in).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Full candidate lines, sorted and without duplicates.
    pub candidates: Vec<String>,
    /// Longest common prefix of the candidates (the input when none).
    pub common_prefix: String,
}

/// Completes a partial command line: the command word first, then its
/// argument from the matching source (`ns` also offers `all`).
pub fn complete(input: &str, sources: Sources<'_>) -> Completion {
    let input = input.trim_start_matches(':');
    let mut candidates: Vec<String> = match input.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|c| c.starts_with(input))
            .map(|c| (*c).to_string())
            .collect(),
        Some((head, partial)) => {
            let partial = partial.trim_start();
            let options: Vec<&str> = match head {
                "ns" => sources
                    .namespaces
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::once("all"))
                    .collect(),
                "ctx" => sources.contexts.iter().map(String::as_str).collect(),
                "inst" | "instances" => sources.services.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            options
                .into_iter()
                .filter(|o| o.starts_with(partial))
                .map(|o| format!("{head} {o}"))
                .collect()
        }
    };
    candidates.sort();
    candidates.dedup();
    let common_prefix = match candidates.split_first() {
        None => input.to_string(),
        Some((first, rest)) => rest.iter().fold(first.clone(), |prefix, c| {
            let len = prefix
                .char_indices()
                .zip(c.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8());
            prefix[..len].to_string()
        }),
    };
    Completion {
        candidates,
        common_prefix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("svc"), Ok(CommandLine::Services));
        assert_eq!(parse(":services"), Ok(CommandLine::Services));
        assert_eq!(parse("inst"), Ok(CommandLine::Instances(None)));
        assert_eq!(
            parse("instances kafka"),
            Ok(CommandLine::Instances(Some("kafka".into())))
        );
        assert_eq!(parse("ns all"), Ok(CommandLine::Namespace(None)));
        assert_eq!(
            parse(" ns prod "),
            Ok(CommandLine::Namespace(Some("prod".into())))
        );
        assert_eq!(parse("ctx kind"), Ok(CommandLine::Context("kind".into())));
        assert_eq!(parse("q"), Ok(CommandLine::Quit));
        assert_eq!(parse("quit"), Ok(CommandLine::Quit));
        assert_eq!(parse("help"), Ok(CommandLine::Help));
    }

    #[test]
    fn errors_are_readable() {
        assert_eq!(parse("  "), Err(CommandError::Empty));
        let unknown = parse("pods")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(unknown.contains("unknown command ':pods'"), "{unknown}");
        assert!(unknown.contains("svc"));
        assert_eq!(parse("ns"), Ok(CommandLine::PickNamespace));
        assert_eq!(parse("ctx"), Ok(CommandLine::PickContext));
        assert_eq!(parse("q now"), Err(CommandError::TooManyArguments("q")));
        assert_eq!(parse("ns a b"), Err(CommandError::TooManyArguments("ns")));
        assert!(CommandError::Empty.to_string().contains(":help"));
        assert!(
            CommandError::TooManyArguments("q")
                .to_string()
                .contains("at most one")
        );
    }

    #[test]
    fn completes_commands_and_arguments() {
        let namespaces = vec!["prod".to_string(), "prod-eu".to_string(), "dev".to_string()];
        let contexts = vec!["kind-a".to_string()];
        let services = vec!["kafka".to_string(), "redis".to_string()];
        let sources = Sources {
            namespaces: &namespaces,
            contexts: &contexts,
            services: &services,
        };
        let c = complete("s", sources);
        assert_eq!(c.candidates, ["services", "svc"]);
        assert_eq!(c.common_prefix, "s");
        let c = complete("ns p", sources);
        assert_eq!(c.candidates, ["ns prod", "ns prod-eu"]);
        assert_eq!(c.common_prefix, "ns prod");
        assert_eq!(complete("ns a", sources).candidates, ["ns all"]);
        assert_eq!(complete(":ctx ", sources).candidates, ["ctx kind-a"]);
        assert_eq!(complete("inst r", sources).common_prefix, "inst redis");
        let none = complete("zz", sources);
        assert!(none.candidates.is_empty());
        assert_eq!(none.common_prefix, "zz");
        assert!(complete("q x", Sources::default()).candidates.is_empty());
    }
}
