//! The command lines of the benchmark binaries: `--name value` pairs and
//! bare `--switch`es. The scripts in bench/ build these lines; a person
//! rarely types them, so the parser is strict and small.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Parsed flags.
#[derive(Debug, Default)]
pub struct Flags {
    values: BTreeMap<String, String>,
    switches: BTreeSet<String>,
}

impl Flags {
    /// Reads the process's arguments; `switches` are the names that take
    /// no value.
    pub fn from_env(switches: &[&str]) -> Result<Flags, String> {
        Flags::parse(std::env::args().skip(1), switches)
    }

    pub fn parse(
        args: impl IntoIterator<Item = String>,
        switches: &[&str],
    ) -> Result<Flags, String> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let name = arg
                .strip_prefix("--")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("expected --name, got {arg:?}"))?;
            if switches.contains(&name) {
                flags.switches.insert(name.to_owned());
            } else {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                flags.values.insert(name.to_owned(), value);
            }
        }
        Ok(flags)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn need(&self, name: &str) -> Result<String, String> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// A number that must be given.
    pub fn need_num<T: FromStr>(&self, name: &str) -> Result<T, String> {
        number(name, &self.need(name)?)
    }

    /// A comma-separated list of numbers that must be given.
    pub fn need_nums<T: FromStr>(&self, name: &str) -> Result<Vec<T>, String> {
        self.need(name)?
            .split(',')
            .map(|v| number(name, v))
            .collect()
    }

    /// A number, or `default` when not given.
    pub fn num_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        self.get(name).map_or(Ok(default), |v| number(name, v))
    }

    /// A number when given and well formed (a process id the script may
    /// have found or not).
    pub fn lenient_num<T: FromStr>(&self, name: &str) -> Option<T> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(name)
    }
}

fn number<T: FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("--{name}: not a number: {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Flags, String> {
        Flags::parse(args.iter().map(|a| a.to_string()), &["print"])
    }

    #[test]
    fn pairs_and_switches() -> Result<(), String> {
        let f = parse(&["--pod", "p-0", "--print", "--tail", "500", "--pid", ""])?;
        assert_eq!(f.get("pod"), Some("p-0"));
        assert!(f.switch("print"));
        assert!(!f.switch("http2"));
        assert_eq!(f.need_num::<u64>("tail")?, 500);
        assert_eq!(f.num_or::<u64>("seconds", 30)?, 30);
        let rates = parse(&["--rates", "20000, 50000"])?.need_nums::<u64>("rates")?;
        assert_eq!(rates, [20_000, 50_000]);
        assert_eq!(f.lenient_num::<u32>("pid"), None);
        Ok(())
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(
            parse(&["--tail"]).err().as_deref(),
            Some("--tail needs a value")
        );
        assert!(parse(&["pod"]).is_err_and(|e| e.contains("expected --name")));
        let f = parse(&["--tail", "many"]);
        assert!(f.is_ok_and(|f| f.need_num::<u64>("tail").is_err_and(|e| e.contains("many"))));
        assert!(parse(&[]).is_ok_and(|f| f.need("pod").is_err_and(|e| e == "--pod is required")));
    }
}
