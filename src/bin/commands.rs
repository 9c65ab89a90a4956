//! Prints the `/c500` command tree as the JSON body of Discord's bulk-overwrite endpoint.
//! `make register` sends it; `make commands` just prints it.

fn main() {
    println!("{:#}", c500::interactions::commands::registration());
}
