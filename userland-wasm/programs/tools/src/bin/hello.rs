//! hello: the smallest program, the example in docs/programs.md (and what `make bench`
//! starts to time a program's startup).
const HELP: &str = "usage: hello [NAME]
Prints a greeting: \"Hello, world!\", or \"Hello, NAME!\".
";

fn main() {
    let args = rustos_tools::args();
    rustos_tools::help(&args, HELP);
    let name = args.get(1).map_or("world", String::as_str);
    println!("Hello, {name}!");
}
