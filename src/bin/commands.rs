//! Prints C500's commands as the JSON bodies of Discord's bulk-overwrite endpoints:
//! `{"global": [/c500], "hq_guild": [/c500-hq]}`.
//! `make register` sends it; `make commands` just prints it.

fn main() {
    println!("{:#}", c500::interactions::commands::registrations());
}
