//! The browser suite: the wasm build in headless Chromium and Firefox, over real WebSockets to
//! a real relay and real TCP servers (`cargo xtask test` starts them and runs this once per browser).

#![cfg(target_arch = "wasm32")]

mod common;
mod core;
mod demo;
#[path = "../shared/demo_table.rs"]
mod demo_table;
mod differential;
mod js_api;
mod leaks;
mod relay;
mod websockify;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
