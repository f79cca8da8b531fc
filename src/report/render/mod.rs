//! Renderers: a [`Report`](super::Report) in, bytes out. One file per format;
//! no renderer reads anything but the report it is given, so each is a pure
//! function that snapshot tests can pin down.

pub mod json;
pub mod table;
