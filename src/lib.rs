//! osctui as a library: the console's model, update logic, cluster access and
//! drawing, shared by the binary and the tests.

pub mod action;
pub mod app;
pub mod audit;
pub mod cluster;
pub mod command;
pub mod config;
pub mod domain;
pub mod keymap;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
