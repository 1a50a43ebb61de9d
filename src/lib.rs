//! osctui as a library: the parts of the console that do not need a terminal,
//! so that tests and the binary share them.

pub mod action;
pub mod command;
pub mod domain;
pub mod keymap;
pub mod state;
pub mod update;
