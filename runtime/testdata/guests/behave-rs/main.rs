//! behave-rs is the Rust twin of the behave test guest: its behaviour is
//! chosen by the secret name it is asked for, and covers the hostile acts
//! that are specific to Rust (a panic, an allocation failure, a stack
//! overflow) as well as the common ones. The tests build it with
//! internal/wasmtest.BuildRust; by hand, as examples/stores/http-json-rs's
//! build.sh does, with main.rs here.

use latchkey_guest::{export_store, log, Error, Json, Level, Request, Store};
use std::io::Write;

struct Behave {
    /// The result of the last successful call ("previous" returns it): a
    /// guest that keeps state between fetches.
    last: Option<Vec<u8>>,
    hoard: Vec<Vec<u8>>,
}

export_store!(Behave);

impl Store for Behave {
    fn new(_config: Json) -> Result<Self, Error> {
        Ok(Behave { last: None, hoard: Vec::new() })
    }

    fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error> {
        let (verb, arg) = req.name.split_once(':').unwrap_or((&req.name, ""));
        let out = match verb {
            "value" => arg.as_bytes().to_vec(),
            "previous" => match &self.last {
                Some(v) => v.clone(),
                None => return Err(Error::not_found("no previous call in this instance")),
            },
            "missing" => return Err(Error::not_found(format!("secret {:?} does not exist", req.name))),
            "log" => {
                log(Level::Warn, &format!("guest says {}", arg));
                b"logged".to_vec()
            }
            "stdout" => {
                let n: usize = arg.parse().unwrap_or(0);
                let line = [b'x'; 100];
                let mut out = std::io::stdout();
                for _ in (0..n).step_by(line.len()) {
                    let _ = out.write_all(&line[..99]);
                    let _ = out.write_all(b"\n");
                }
                b"written".to_vec()
            }
            "panic" => panic!("handler panics with a secret-looking value"),
            "unwrap" => {
                let r: Result<u8, String> = Err("secret-looking error text".to_string());
                vec![r.unwrap()]
            }
            "spin" => loop {
                std::hint::spin_loop();
            },
            // The host serves a sleep in slices of at most 50 ms (so that a
            // deadline can interrupt it), and Rust's sleep on WASI does not
            // resume a short sleep: sleep forever.
            "sleep" => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            "oom" => loop {
                self.hoard.push(vec![1u8; 1 << 20]);
            },
            "recurse" => {
                let n = recurse(u64::MAX, &[0; 64]);
                n.to_string().into_bytes()
            }
            "grow" => {
                let n: usize = arg.parse().unwrap_or(0);
                for _ in 0..n {
                    self.hoard.push(vec![1u8; 1 << 20]);
                }
                b"grown".to_vec()
            }
            "big" => vec![0u8; arg.parse().unwrap_or(0)],
            _ => return Err(Error::invalid_config(format!("unknown behaviour {:?}", verb))),
        };
        self.last = Some(out.clone());
        Ok(out)
    }
}

/// recurse returns after n frames (never, for u64::MAX): each frame keeps
/// a copy of pad alive, so the stack overflows.
#[inline(never)]
fn recurse(n: u64, pad: &[u8; 64]) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut mine = *pad;
    mine[(n % 64) as usize] = n as u8;
    let r = recurse(n.wrapping_sub(1), &mine);
    r.wrapping_add(mine[(n % 64) as usize] as u64)
}
