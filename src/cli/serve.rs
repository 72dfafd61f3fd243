//! `dealcoach serve`: the HTTP API and the page (see [`crate::serve`]).

use std::net::{SocketAddr, ToSocketAddrs};

use clap::Args;

use super::{print_raw, Exit, Failure};
use crate::diag::Diagnostic;
use crate::serve::{Options, Refused};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen, HOST:PORT; port 0 picks a free port. An address other than
    /// loopback (127.0.0.1, ::1) needs --token.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A playbook folder to answer with instead of the built-in one; its changes are
    /// picked up before the next request (a broken edit keeps the last good playbooks).
    #[arg(long, env = "DEALCOACH_PLAYBOOKS", value_name = "DIR")]
    pub playbooks: Option<std::path::PathBuf>,
    /// Require `Authorization: Bearer T` on every /v1 request (prefer the
    /// DEALCOACH_TOKEN variable: arguments are visible to other users of the machine).
    #[arg(
        long,
        env = "DEALCOACH_TOKEN",
        hide_env_values = true,
        value_name = "T"
    )]
    pub token: Option<String>,
    /// Let web pages of this origin call the API from a browser (CORS), e.g.
    /// https://crm.example.com. Without it, no cross-origin call is allowed.
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
}

pub fn run(args: &ServeArgs) -> Result<Exit, Failure> {
    let options = Options {
        addr: address(&args.addr)?,
        playbooks: args.playbooks.clone(),
        token: args.token.clone(),
        cors: args.cors.clone(),
        max_input_bytes: crate::snapshot::max_input_bytes(),
    };
    let listening = |bound: SocketAddr| {
        // Scripts and tests wait for this line to know the port.
        let _ = print_raw(&format!("listening on http://{bound}\n"));
    };
    match crate::serve::run(&options, listening) {
        Ok(()) => Ok(Exit::Success),
        Err(Refused::Options(message)) => Err(Diagnostic::error("serve", 0, 0, message).into()),
        Err(Refused::Playbooks(problems)) => Err(Failure::Invalid(problems)),
        Err(Refused::Listen(message)) => Err(Diagnostic::error("serve", 0, 0, message).into()),
    }
}

/// `HOST:PORT` resolved. A host name that resolves to several addresses is loopback
/// only when every one is: otherwise the first that is not is listened on (and needs a
/// token).
fn address(written: &str) -> Result<SocketAddr, Failure> {
    let problem = |message: String| Failure::from(Diagnostic::error("--addr", 0, 0, message));
    let resolved: Vec<SocketAddr> = written
        .to_socket_addrs()
        .map_err(|error| {
            problem(format!(
                "`{written}` is not an address to listen on (HOST:PORT, e.g. 127.0.0.1:8080): {error}"
            ))
        })?
        .collect();
    let Some(first) = resolved.first().copied() else {
        return Err(problem(format!("`{written}` resolves to no address")));
    };
    Ok(resolved
        .iter()
        .find(|addr| !addr.ip().is_loopback())
        .copied()
        .unwrap_or(first))
}
