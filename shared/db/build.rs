//! `embed_migrations!` reads the migrations at compile time: a new migration folder must rebuild the crate
//! (cargo tracks the files the macro includes, but not a folder added beside them).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
