//! A Rust guest with a version probe (ABI 1.1), for runtime's tests: the
//! version of secret NAME is "v-NAME", and a fetch records it; names ask
//! for misbehaviour ("panic", "big", "empty", "absent", "twice").

use latchkey_guest::{export_store, set_result_version, Error, HostCode, Json, Request, Store, Versioned};

struct Probe;

impl Store for Probe {
    fn new(_config: Json) -> Result<Self, Error> {
        Ok(Probe)
    }
    fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error> {
        if req.name == "absent" {
            return Err(Error::not_found(format!("secret {:?}", req.name)));
        }
        set_result_version(&format!("v-{}", req.name)).map_err(|e| Error::unavailable(e.to_string()))?;
        if req.name == "twice" {
            match set_result_version("again") {
                Err(e) if e.code == HostCode::State => {}
                other => return Err(Error::unavailable(format!("a second version_set answered {:?}", other))),
            }
        }
        Ok(format!("value of {}", req.name).into_bytes())
    }
}

impl Versioned for Probe {
    fn current_version(&mut self, req: &Request) -> Result<String, Error> {
        match req.name.as_str() {
            "panic" => panic!("probe asked to panic"),
            "big" => Ok("x".repeat(300)),
            "empty" => Ok(String::new()),
            "absent" => Err(Error::not_found(format!("secret {:?}", req.name))),
            name => Ok(format!("v-{}", name)),
        }
    }
}

export_store!(Probe, versioned);
