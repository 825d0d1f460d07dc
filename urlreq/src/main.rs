//! `urlreq`: fetch a URL from the command line with urlrequest-std, with
//! curl's flags and exit codes. See `urlreq --help`; with no URL it runs
//! an offline demo.

#![forbid(unsafe_code)]

mod args;
mod cookiefile;
mod demo;
mod events;
mod exit;
mod extras;
mod fetch;
mod upload;
mod writeout;

fn main() {
    let args = args::Args::parse_all();
    let status = if args.demo || (args.url.is_none() && args.replay.is_none()) {
        demo::run()
    } else {
        fetch::run(&args, false)
    };
    std::process::exit(status);
}
