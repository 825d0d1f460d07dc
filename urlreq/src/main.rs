//! `urlreq`: fetch a URL from the command line with urlrequest-std. See
//! `urlreq --help`; with no URL it runs an offline demo.

mod args;
mod demo;
mod events;
mod extras;
mod fetch;
mod upload;

use clap::Parser;

fn main() {
    let args = args::Args::parse();
    let status = if args.demo || (args.url.is_none() && args.replay.is_none()) {
        demo::run()
    } else {
        fetch::run(&args, false)
    };
    std::process::exit(status);
}
